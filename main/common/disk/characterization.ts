/** One timing value of the model (overheads, bus), with where it comes from. */
export interface TimingValue {
  /** Spec field path, e.g. "overheads.read_miss_after_read_ms". */
  field: string;
  value: number | boolean;
  provenance: string;
}

/** What `pvblk disk --json` and the UI show of a disk model (made by engine/disk/characterize.ts). */
export interface DiskCharacterization {
  name: string;
  kind: 'hdd' | 'ssd';
  capacity_bytes: number;
  capacity_gb: number;
  rpm: number | null;
  rotation_ms: number | null;
  heads: number | null;
  cylinders: number | null;
  sector_bytes: number;
  zones: {
    first_cyl: number;
    cylinders: number;
    sectors_per_track: number;
    media_mbps: number;
    track_skew_sectors: number;
    cylinder_skew_sectors: number;
  }[];
  seek_curve: [number, number][];
  seek_avg_ms: number;
  track_to_track_ms: number;
  full_stroke_ms: number;
  /** Controller overheads and bus (HDD), each with its provenance; empty for an SSD. */
  timing: TimingValue[];
}
