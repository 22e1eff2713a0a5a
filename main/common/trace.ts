/** What a scan of a trace file reports (pvblk's preflight, the editor's preview, `pvblk validate`). */
export interface TracePreview {
  file: string;
  format: string;
  /** Requests in the trace (lines carrying none are not counted). */
  records: number;
  lines: number;
  /** Last arrival − first arrival on the trace's clock (s). */
  duration_s: number;
  reads: number;
  writes: number;
  bytes: number;
  /** Request sizes: count per bucket, bucket upper bounds in KiB (1, 2, 4, … 1024, then larger). */
  size_hist: { le_kb: number | null; count: number }[];
  /** Lowest start sector and highest end sector (exclusive), 512-byte sectors. */
  lba_min: number;
  lba_max: number;
  /** Distinct process ids (empty when the format has none), ascending; capped at 4096. */
  pids: number[];
  pids_truncated: boolean;
  /** Mean measured response time (ms) for formats that record it (DiskSim validate, MSR), else null. */
  measured_mean_ms: number | null;
  sha256: string;
}

/** One row of the validation table: a response-time bin (ms) with each distribution's share. */
export interface ValidationBin {
  lo_ms: number;
  hi_ms: number | null;
  simulated: number;
  measured: number;
  simulated_cdf: number;
  measured_cdf: number;
}

/** `pvblk validate`: a validation trace replayed closed-loop against a disk preset. */
export interface ValidationReport {
  trace: string;
  format: string;
  disk: string;
  requests: number;
  simulated_mean_ms: number;
  measured_mean_ms: number;
  /** RMS horizontal distance between the two response-time distributions (ms), as DiskSim's rms computes it. */
  rms_ms: number;
  /** DiskSim 4.0's own figure for this drive's validation trace, when the preset is a DiskSim drive. */
  published_rms_ms: number | null;
  bins: ValidationBin[];
  /** The cumulative curves rms compares: response time (ms) → fraction below it. */
  simulated_cdf: { x: number[]; y: number[] };
  measured_cdf: { x: number[]; y: number[] };
}
