/**
 * Disk presets. `sata-7200` is the default. `hp97560` is Ruemmler & Wilkes' classic drive. The
 * DiskSim-validated drives are built at load time from data/published-disks.json (zone tables,
 * per-zone skews, head switch, measured seek curves as `table` points), copied from
 * /shared/data with every value's provenance.
 */
import { nullProto } from '../../common/own';
import { HddSchema, type HddSpec, SsdSchema, type SsdSpec } from '../../common/spec/schema';
import published from './data/published-disks.json' with { type: 'json' };

export interface DiskPreset {
  description: string;
  source: string;
  spec: HddSpec | SsdSpec;
}

const SATA_7200: HddSpec = HddSchema.parse({
  kind: 'hdd',
  name: 'sata-7200',
  source: 'Synthetic 7200 rpm SATA drive (typical desktop figures)',
  rpm: 7200,
  sector_bytes: 512,
  heads: 4,
  zones: [2000, 1860, 1720, 1580, 1440, 1300, 1160, 1020].map((spt) => ({
    cylinders: 15_000,
    sectors_per_track: spt,
  })),
  seek: { model: 'three-point', track_to_track_ms: 0.8, average_ms: 8.5, full_stroke_ms: 16.0 },
  head_switch_ms: 0.8,
  controller_overhead_ms: 0.1,
  interface_mbps: 300,
  cache: { segments: 16, segment_kb: 512, readahead: true, readahead_min_kb: 0 },
  queue_depth: 1,
});

const HP97560_SOURCE =
  "Ruemmler & Wilkes, 'An introduction to disk drive modeling', IEEE Computer 27(3):17-28, 1994 " +
  "(doi:10.1109/2.268881), as re-used by Kotz, Toh & Radhakrishnan, 'A Detailed Simulation Model of " +
  "the HP 97560 Disk Drive', Dartmouth PCS-TR94-220, 1994";

const HP97560: HddSpec = HddSchema.parse({
  kind: 'hdd',
  name: 'hp97560',
  source: HP97560_SOURCE,
  rpm: 4002,
  sector_bytes: 512,
  heads: 19,
  zones: [{ cylinders: 1962, sectors_per_track: 72 }],
  seek: {
    model: 'two-piece',
    boundary_cyl: 383,
    short_a_ms: 3.24,
    short_b_ms: 0.4,
    long_a_ms: 8.0,
    long_b_ms: 0.008,
  },
  head_switch_ms: 1.6,
  track_skew_sectors: 8,
  cylinder_skew_sectors: 18,
  controller_overhead_ms: 2.2,
  interface_mbps: 10,
  cache: { segments: 1, segment_kb: 128, readahead: true, readahead_min_kb: 0 },
  queue_depth: 1,
});

const SSD_SATA: SsdSpec = SsdSchema.parse({
  kind: 'ssd',
  name: 'ssd-sata',
  source: 'Synthetic SATA-III SSD (typical datasheet figures, not a specific product)',
  capacity_gb: 500,
  read_latency_us: 80,
  write_latency_us: 30,
  channels: 4,
  bandwidth_mbps: 530,
  queue_depth: 32,
});

// ---------------------------------------------------------------- DiskSim-validated drives

interface PubZone {
  first_cyl: number;
  last_cyl: number;
  sectors_per_track: number;
  track_skew_sectors?: number;
  cylinder_skew_sectors?: number;
}
interface PubDisk {
  name: string;
  disksim_model_name?: string;
  source: string;
  rpm: number;
  heads: number;
  sector_bytes: number;
  zones: PubZone[];
  head_switch_ms: number;
  controller_overheads_ms?: Record<string, number>;
  seek: {
    disksim_seek_type?: string;
    curve_ms?: [number, number][];
    hpl_values?: number[];
    first_ten_ms?: number[];
  };
}

/** Presets built from the published data: model name → (preset name, assumed interface MB/s, bus note). */
const PUBLISHED: Record<string, { preset: string; mbps: number; bus: string }> = {
  SEAGATE_ST39102LW_validate: { preset: 'cheetah-9lp', mbps: 80, bus: 'Ultra2 Wide SCSI' },
  HP_C3323A_validate: { preset: 'hp-c3323a', mbps: 10, bus: 'Fast SCSI-2' },
  QUANTUM_TORNADO_validate: { preset: 'atlas-10k', mbps: 80, bus: 'Ultra2 Wide SCSI' },
  'IBM_DNES-309170W_validate': { preset: 'ultrastar-18es', mbps: 80, bus: 'Ultra2 Wide SCSI' },
  HP_C2247A_validate: { preset: 'hp-c2247a', mbps: 10, bus: 'Fast SCSI-2' },
  HP_C2490A_validate: { preset: 'hp-c2490a', mbps: 10, bus: 'Fast SCSI-2' },
  SEAGATE_ST34501N_validate: { preset: 'cheetah-4lp', mbps: 20, bus: 'Ultra SCSI (narrow)' },
  SEAGATE_ST32171W: { preset: 'barracuda-st32171w', mbps: 40, bus: 'Ultra Wide SCSI' },
  'QUANTUM_QM39100TD-SW': { preset: 'atlas-iii', mbps: 40, bus: 'Ultra Wide SCSI' },
  DEC_RZ26_validate: { preset: 'dec-rz26', mbps: 10, bus: 'Fast SCSI-2' },
  Seagate_ST41601N_validate: { preset: 'st41601n', mbps: 10, bus: 'Fast SCSI-2' },
};

/** Seek points for DiskSim's `hplplus10` (first-ten table, then the two-piece formula). */
function hplPlus10Points(d: PubDisk, maxDist: number): [number, number][] {
  const [boundary, sa, sb, la, lb] = d.seek.hpl_values!;
  const pts: [number, number][] = d.seek.first_ten_ms!.map((ms, i) => [i + 1, ms]);
  // The sqrt piece sampled at every cylinder (exact under linear interpolation); the linear piece is exact with 2 points.
  for (let x = 11; x < boundary && x <= maxDist; x++) pts.push([x, sa + sb * Math.sqrt(x)]);
  if (boundary <= maxDist) {
    pts.push([boundary, la + lb * boundary]);
    if (maxDist > boundary) pts.push([maxDist, la + lb * maxDist]);
  }
  return pts;
}

function fromPublished(d: PubDisk, preset: string, mbps: number, bus: string): DiskPreset {
  const zones = d.zones.map((z, i) => {
    // Cylinders a zone skips (DiskSim models leave a few without LBNs) are folded into the zone before.
    const next = d.zones[i + 1];
    const cyls = next ? next.first_cyl - z.first_cyl : z.last_cyl - z.first_cyl + 1;
    return {
      cylinders: cyls,
      sectors_per_track: z.sectors_per_track,
      track_skew_sectors: z.track_skew_sectors,
      cylinder_skew_sectors: z.cylinder_skew_sectors,
    };
  });
  const maxDist = zones.reduce((s, z) => s + z.cylinders, 0) - 1;
  const points = d.seek.curve_ms ?? hplPlus10Points(d, maxDist);
  const co = d.controller_overheads_ms ?? {};
  const segs = co['Number of buffer segments'] ?? 1;
  const segBlks = co['Segment size (in blks)'] ?? 256;
  const spec = HddSchema.parse({
    kind: 'hdd',
    name: preset,
    source: d.source,
    rpm: d.rpm,
    sector_bytes: d.sector_bytes,
    heads: d.heads,
    zones,
    seek: { model: 'table', points },
    head_switch_ms: d.head_switch_ms,
    controller_overhead_ms: co['Read miss over. after read'] ?? 0,
    interface_mbps: mbps,
    cache: {
      segments: segs,
      segment_kb: Math.max(1, Math.floor((segBlks * 512) / 1024)),
      readahead: true,
      readahead_min_kb: 0,
    },
    queue_depth: Math.max(1, co['Max queue length'] ?? 1),
  });
  const description =
    `${d.name}: DiskSim 4.0 validated model (${d.disksim_model_name}); ${d.rpm} rpm, ${d.heads} heads, ` +
    `${zones.length} zones, measured seek curve (${points.length} points, linear interpolation). ` +
    `Controller overhead = DiskSim "Read miss over. after read"; cache = DiskSim buffer segments × segment size ` +
    `with read-ahead; queue_depth = DiskSim "Max queue length". Interface ${mbps} MB/s is assumed (${bus}), ` +
    'not part of the model. Sparing/slipping and write-settle are not modelled.';
  return { description, source: d.source, spec };
}

function buildPresets(): Record<string, DiskPreset> {
  const out: Record<string, DiskPreset> = {
    'sata-7200': {
      description:
        'Synthetic 7200 rpm SATA drive (the default): 4 heads, 8 zones × 15,000 cylinders, 2000→1020 ' +
        'sectors/track, three-point seek 0.8/8.5/16 ms, head switch 0.8 ms, 0.1 ms controller overhead, ' +
        '16 × 512 KB read-ahead cache, 300 MB/s interface, queue depth 1.',
      source: SATA_7200.source!,
      spec: SATA_7200,
    },
    hp97560: {
      description:
        'HP 97560 (1990s SCSI, 1.3 GB): 1962 cylinders, 19 surfaces, 72 sectors/track, 4002 rpm, two-piece ' +
        'seek 3.24 + 0.400·√d (d < 383) / 8.00 + 0.008·d ms, head switch 1.6 ms, skews 8/18, 2.2 ms ' +
        'controller overhead, 128 KB read-ahead buffer. Interface 10 MB/s (SCSI-2) is an assumption.',
      source: HP97560_SOURCE,
      spec: HP97560,
    },
  };
  for (const d of (published as { disks: PubDisk[] }).disks) {
    const m = d.disksim_model_name ? PUBLISHED[d.disksim_model_name] : undefined;
    if (m) out[m.preset] = fromPublished(d, m.preset, m.mbps, m.bus);
  }
  out['ssd-sata'] = {
    description:
      'Synthetic SATA SSD for contrast: 500 GiB, 4 channels, 80 µs read / 30 µs write latency, 530 MB/s ' +
      'aggregate bandwidth (SATA-III limit), queue depth 32 (NCQ). Not a specific product.',
    source: SSD_SATA.source!,
    spec: SSD_SATA,
  };
  return out;
}

export const DISK_PRESETS: Record<string, DiskPreset> = nullProto(buildPresets());
