/**
 * `pvblk validate`: replay a validation trace closed-loop (DiskSim's validate mode: one request at
 * a time, each issued its recorded interarrival after the previous one completed) on a disk preset
 * and compare the simulated response-time distribution with the one the real drive measured, the
 * way DiskSim's valid/runvalid does (engine/metrics/disksim-dist.ts). Disk parameters are the
 * preset's published values: nothing is fitted to the trace.
 */

import published from '../../common/disk/data/published-disks.json' with { type: 'json' };
import type { SpecInput, TraceFormat } from '../../common/spec/schema';
import { parseSpec } from '../../common/spec/validate';
import type { ValidationBin, ValidationReport } from '../../common/trace';
import { DISK_PRESETS } from '../../engine/disk/index';
import { type CdfCurve, DiskSimDistribution, rmsHorizontalDistance } from '../../engine/metrics/disksim-dist';
import { Simulation } from '../../engine/simulation';
import { fileTraceProvider } from './provider';
import { openTraceFile, TraceFileError } from './reader';

/** Formats that record the measured response time of each request. */
export const VALIDATION_FORMATS: TraceFormat[] = ['disksim-validate', 'msr-csv'];

/** Bin edges (ms) of the printed table. */
const BIN_EDGES_MS = [0, 1, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 25, 30, 40, 50, 75, 100];

/** DiskSim's published RMS for a preset built from its validated drives, else null. */
export function publishedRms(preset: string): number | null {
  const desc = DISK_PRESETS[preset]?.description ?? '';
  const disks = (
    published as { disks: { name: string; disksim_validation?: { published_rms_ms: number } | null }[] }
  ).disks;
  const d = disks.find((x) => desc.startsWith(`${x.name}:`));
  return d?.disksim_validation?.published_rms_ms ?? null;
}

function cdfAt(c: CdfCurve, ms: number): number {
  let last = 0;
  for (let i = 0; i < c.x.length && c.x[i] <= ms; i++) last = c.y[i];
  return c.x.length > 0 && ms >= c.x[c.x.length - 1] ? 1 : last;
}

export function validationBins(sim: CdfCurve, meas: CdfCurve): ValidationBin[] {
  const bins: ValidationBin[] = [];
  for (let i = 0; i < BIN_EDGES_MS.length; i++) {
    const lo = BIN_EDGES_MS[i];
    const hi = BIN_EDGES_MS[i + 1] ?? null;
    const sHi = hi === null ? 1 : cdfAt(sim, hi);
    const mHi = hi === null ? 1 : cdfAt(meas, hi);
    bins.push({
      lo_ms: lo,
      hi_ms: hi,
      simulated: sHi - cdfAt(sim, lo),
      measured: mHi - cdfAt(meas, lo),
      simulated_cdf: sHi,
      measured_cdf: mHi,
    });
  }
  return bins;
}

export interface ValidateOptions {
  file: string;
  format: TraceFormat;
  disk: string;
}

export function runValidation(opts: ValidateOptions): ValidationReport {
  if (!VALIDATION_FORMATS.includes(opts.format))
    throw new TraceFileError(
      `--format: ${opts.format} records no measured response times (use ${VALIDATION_FORMATS.join(' or ')})`,
    );
  if (!DISK_PRESETS[opts.disk])
    throw new TraceFileError(
      `--disk: unknown preset "${opts.disk}" (known: ${Object.keys(DISK_PRESETS).join(', ')})`,
    );
  // Pass 1: the measured distribution, and how long the traced run took (to size the simulation).
  const measured = new DiskSimDistribution();
  let tracedNs = 0;
  const src = openTraceFile(opts.file, { format: opts.format });
  for (let r = src.next(); r !== null; r = src.next()) {
    measured.add(r.measuredNs / 1e6);
    tracedNs += r.thinkNs + r.measuredNs;
  }
  if (measured.count === 0) throw new TraceFileError(`${opts.file}: no requests`);
  // Pass 2: the closed-loop replay; generous duration, checked below.
  const input: SpecInput = {
    name: `validate ${opts.file}`,
    seed: 1,
    duration_s: Math.max(1, Math.ceil((4 * tracedNs) / 1e9) + 10),
    sample_interval_ms: 1000,
    trace_max_points: 0,
    disk: { preset: opts.disk },
    host: { scheduler: 'noop' },
    native: [{ name: 'trace', iodepth: 1, trace: { format: opts.format, file: opts.file, mode: 'closed' } }],
  };
  const spec = parseSpec(input);
  const simulated = new DiskSimDistribution();
  const sim = new Simulation(
    spec,
    {},
    {
      traces: fileTraceProvider(spec),
      observer: { completed: (u) => simulated.add((u.tDone - u.tSubmit) / 1e6) },
    },
  );
  sim.result();
  if (simulated.count !== measured.count)
    throw new Error(
      `replay incomplete: ${simulated.count} of ${measured.count} requests completed in ${spec.duration_s} s`,
    );
  const s = simulated.curve();
  const m = measured.curve();
  return {
    trace: opts.file,
    format: opts.format,
    disk: opts.disk,
    requests: measured.count,
    simulated_mean_ms: simulated.meanMs,
    measured_mean_ms: measured.meanMs,
    rms_ms: rmsHorizontalDistance(s, m),
    published_rms_ms: publishedRms(opts.disk),
    bins: validationBins(s, m),
    simulated_cdf: s,
    measured_cdf: m,
  };
}
