/**
 * Disk presets. `sata-7200` is the default. `hp97560` is Ruemmler & Wilkes' classic drive. The
 * DiskSim-validated drives are built on first use from data/published-disks.json (zone tables,
 * per-zone skews, head switch, measured seek curves as `table` points), copied from
 * /shared/data with every value's provenance.
 */
import { lazyTable } from '../own';
import { HddSchema, type HddSpec, SsdSchema, type SsdSpec } from '../spec/schema';
// Plain JSON imports: the e2e tests load this module through Playwright's loader, which has no
// Vite `?raw` imports (bundling the data as text saved 1-2 ms of start-up, not worth two loaders).
import disksimBus from './data/disksim-bus.json' with { type: 'json' };
import published from './data/published-disks.json' with { type: 'json' };

export interface DiskPreset {
  description: string;
  source: string;
  spec: HddSpec | SsdSpec;
}

// The specs are parsed (defaults filled) when a preset is first used, not at import: a command that
// uses one preset, or none, does not pay for parsing the fourteen (lazyTable in ../own).
const sata7200 = (): HddSpec =>
  HddSchema.parse({
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

const hp97560 = (): HddSpec =>
  HddSchema.parse({
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

const ssdSata = (): SsdSpec =>
  SsdSchema.parse({
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
  provenance?: Record<string, string | undefined>;
  seek: {
    disksim_seek_type?: string;
    curve_ms?: [number, number][];
    hpl_values?: number[];
    first_ten_ms?: number[];
  };
}

/** Presets built from the published data: DiskSim model name → preset name, in the data's order. */
export const PUBLISHED: Record<string, string> = {
  SEAGATE_ST39102LW_validate: 'cheetah-9lp',
  HP_C3323A_validate: 'hp-c3323a',
  QUANTUM_TORNADO_validate: 'atlas-10k',
  'IBM_DNES-309170W_validate': 'ultrastar-18es',
  HP_C2247A_validate: 'hp-c2247a',
  HP_C2490A_validate: 'hp-c2490a',
  SEAGATE_ST34501N_validate: 'cheetah-4lp',
  SEAGATE_ST32171W: 'barracuda-st32171w',
  'QUANTUM_QM39100TD-SW': 'atlas-iii',
  DEC_RZ26_validate: 'dec-rz26',
  Seagate_ST41601N_validate: 'st41601n',
};

interface Param {
  value: number;
  provenance: string;
}
type BusModels = Record<string, { params: Record<string, Param> }>;
const busData = (): BusModels => (disksimBus as { models: BusModels }).models;
/** data/published-disks.json's drives. */
export const publishedDisks = (): PubDisk[] => (published as unknown as { disks: PubDisk[] }).disks;

/**
 * The `bus` and `overheads` blocks of a DiskSim-validated drive, with each value's provenance:
 * the drive's overheads from its .diskspecs (published-disks.json `controller_overheads_ms`), its
 * buses and bus-related settings from its .parv and .diskspecs (data/disksim-bus.json).
 */
function disksimTiming(d: PubDisk) {
  const model = d.disksim_model_name!;
  const bus = busData()[model]?.params;
  if (!bus) throw new Error(`data/disksim-bus.json: no entry for ${model}`);
  const co = d.controller_overheads_ms ?? {};
  const prov: Record<string, string> = {};
  const ovh = (key: string, field: string): number => {
    const v = co[key];
    if (v === undefined) throw new Error(`published-disks.json: ${model} has no "${key}"`);
    prov[field] = `DiskSim "${key}" = ${v}: ${d.provenance?.[`controller_overheads_ms.${key}`] ?? d.source}`;
    return v;
  };
  const par = (key: string): Param => {
    const p = bus[key];
    if (!p) throw new Error(`data/disksim-bus.json: ${model} has no "${key}"`);
    return p;
  };
  const cite = (key: string): string => {
    const [where, name] = key.split(/\.(.*)/s);
    const who = where === 'disk' ? '' : `${where} `;
    return `DiskSim ${who}"${name}" = ${par(key).value}: ${par(key).provenance}`;
  };
  // disk_write_arrive: a write following a non-sequential write disconnects once more (HP C2240 family)
  function extraWriteDisconnect() {
    if (par('disk.Extra write disconnect').value !== 1) return {};
    const keys = {
      command_ms: 'Extradisc command overhead',
      disconnect_ms: 'Extradisc disconnect overhead',
      inter_disconnect_ms: 'Extradisc inter-disconnect delay',
      disconnect2_ms: 'Extradisc 2nd disconnect overhead',
      seek_delta_ms: 'Extradisc seek delta',
    } as const;
    const out = {} as Record<keyof typeof keys, number>;
    for (const [field, key] of Object.entries(keys) as [keyof typeof keys, string][]) {
      out[field] = par(`disk.${key}`).value;
      prov[`overheads.extra_write_disconnect.${field}`] =
        `${cite(`disk.${key}`)} (${cite('disk.Extra write disconnect')})`;
    }
    return { extra_write_disconnect: out };
  }
  // disk_get_blktranstime: max(bus block transfer time, the drive's "Bulk sector transfer time")
  const bulk = ovh('Bulk sector transfer time', 'bus.bulk');
  const bulkProv = prov['bus.bulk'];
  delete prov['bus.bulk'];
  const block = (dir: 'Read' | 'Write', field: string): number => {
    const k = `BUS1.${dir} block transfer time`;
    prov[field] = `max(${cite(k)}; ${bulkProv}) (disk_get_blktranstime)`;
    return Math.max(par(k).value, bulk);
  };
  const read_block_ms = block('Read', 'bus.read_block_ms');
  const write_block_ms = block('Write', 'bus.write_block_ms');
  // the command crosses BUS0 and BUS1, and so does each reconnection
  const arbitration_ms = par('BUS0.Arbitration time').value + par('BUS1.Arbitration time').value;
  prov['bus.arbitration_ms'] = `sum of ${cite('BUS0.Arbitration time')}; ${cite('BUS1.Arbitration time')}`;
  if (par('disk.Set watermark by reqsize').value !== 1)
    throw new Error(`${model}: only "Set watermark by reqsize = 1" is modelled`);
  const read_watermark = par('disk.High (read) water mark').value;
  prov['bus.read_watermark'] =
    `${cite('disk.High (read) water mark')}, by request size (${par('disk.Set watermark by reqsize').provenance})`;
  const never = par('disk.Never disconnect').value === 1;
  const hold_read = ovh('Hold bus entire read xfer', 'bus.hold_read') === 1 || never;
  if (never) prov['bus.hold_read'] += `; ${cite('disk.Never disconnect')}`;
  const hold_write = par('disk.Hold bus entire write xfer').value === 1 || never;
  prov['bus.hold_write'] =
    cite('disk.Hold bus entire write xfer') + (never ? `; ${cite('disk.Never disconnect')}` : '');
  const overheads = {
    per_request_ms: ovh('Per-request overhead time', 'overheads.per_request_ms'),
    read_hit_after_read_ms: ovh('Read hit over. after read', 'overheads.read_hit_after_read_ms'),
    read_hit_after_write_ms: ovh('Read hit over. after write', 'overheads.read_hit_after_write_ms'),
    read_miss_after_read_ms: ovh('Read miss over. after read', 'overheads.read_miss_after_read_ms'),
    read_miss_after_write_ms: ovh('Read miss over. after write', 'overheads.read_miss_after_write_ms'),
    write_miss_after_read_ms: ovh('Write miss over. after read', 'overheads.write_miss_after_read_ms'),
    write_miss_after_write_ms: ovh('Write miss over. after write', 'overheads.write_miss_after_write_ms'),
    read_complete_ms: ovh('Read completion overhead', 'overheads.read_complete_ms'),
    write_complete_ms: ovh('Write completion overhead', 'overheads.write_complete_ms'),
    reselect_ms: par('disk.First reselect overhead').value,
    data_prep_ms: par('disk.Data preparation overhead').value,
    write_hit_after_read_ms: ovh('Write hit over. after read', 'overheads.write_hit_after_read_ms'),
    write_hit_after_write_ms: ovh('Write hit over. after write', 'overheads.write_hit_after_write_ms'),
    read_disconnect_after_read_ms: par('disk.Read disconnect afterread').value,
    read_disconnect_after_write_ms: par('disk.Read disconnect afterwrite').value,
    write_disconnect_ms: par('disk.Write disconnect overhead').value,
    reselect_other_ms: par('disk.Other reselect overhead').value,
    ...extraWriteDisconnect(),
  };
  prov['overheads.reselect_ms'] = cite('disk.First reselect overhead');
  prov['overheads.data_prep_ms'] = cite('disk.Data preparation overhead');
  prov['overheads.read_disconnect_after_read_ms'] = cite('disk.Read disconnect afterread');
  prov['overheads.read_disconnect_after_write_ms'] = cite('disk.Read disconnect afterwrite');
  prov['overheads.write_disconnect_ms'] = cite('disk.Write disconnect overhead');
  prov['overheads.reselect_other_ms'] = cite('disk.Other reselect overhead');
  const fast_write = ovh('Fast write level', 'cache.fast_write');
  if (par('disk.Combine seq writes').value !== 1)
    throw new Error(`${model}: only "Combine seq writes = 1" is modelled`);
  return {
    bus: { read_block_ms, write_block_ms, arbitration_ms, read_watermark, hold_read, hold_write },
    overheads,
    fast_write,
    provenance: prov,
  };
}

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

function fromPublished(d: PubDisk, preset: string): DiskPreset {
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
  const timing = disksimTiming(d);
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
    bus: timing.bus,
    overheads: timing.overheads,
    provenance: timing.provenance,
    cache: {
      segments: segs,
      segment_kb: Math.max(1, Math.floor((segBlks * 512) / 1024)),
      readahead: true,
      readahead_min_kb: 0,
      fast_write: timing.fast_write,
    },
    queue_depth: Math.max(1, co['Max queue length'] ?? 1),
  });
  const description =
    `${d.name}: DiskSim 4.0 validated model (${d.disksim_model_name}); ${d.rpm} rpm, ${d.heads} heads, ` +
    `${zones.length} zones, measured seek curve (${points.length} points, linear interpolation). ` +
    `Bus: ${timing.bus.read_block_ms} ms per 512-byte block read, ${timing.bus.write_block_ms} written (DiskSim's ` +
    `validation setup: at most ${(0.512 / timing.bus.read_block_ms).toFixed(1)} MB/s to the host); controller overheads as DiskSim's (read miss after a read ${timing.overheads.read_miss_after_read_ms} ms, ` +
    `read completion ${timing.overheads.read_complete_ms} ms, …; \`pvblk disk --preset ${preset}\` lists them with their source). ` +
    'Cache = DiskSim buffer segments × segment size with read-ahead; queue_depth = DiskSim "Max queue length". ' +
    (timing.fast_write > 0
      ? `Write-back cache: DiskSim "Fast write level" ${timing.fast_write}, a write completes once buffered. `
      : 'Write-through (DiskSim "Fast write level" 0). ') +
    'Sparing/slipping and write-settle are not modelled.';
  return { description, source: d.source, spec };
}

function presetBuilders(): [string, () => DiskPreset][] {
  const out: [string, () => DiskPreset][] = [
    [
      'sata-7200',
      () => {
        const spec = sata7200();
        return {
          description:
            'Synthetic 7200 rpm SATA drive (the default): 4 heads, 8 zones × 15,000 cylinders, 2000→1020 ' +
            'sectors/track, three-point seek 0.8/8.5/16 ms, head switch 0.8 ms, 0.1 ms controller overhead, ' +
            '16 × 512 KB read-ahead cache, 300 MB/s interface, queue depth 1.',
          source: spec.source!,
          spec,
        };
      },
    ],
    [
      'hp97560',
      () => ({
        description:
          'HP 97560 (1990s SCSI, 1.3 GB): 1962 cylinders, 19 surfaces, 72 sectors/track, 4002 rpm, two-piece ' +
          'seek 3.24 + 0.400·√d (d < 383) / 8.00 + 0.008·d ms, head switch 1.6 ms, skews 8/18, 2.2 ms ' +
          'controller overhead, 128 KB read-ahead buffer. Interface 10 MB/s (SCSI-2) is an assumption.',
        source: HP97560_SOURCE,
        spec: hp97560(),
      }),
    ],
  ];
  // PUBLISHED lists the models in the data's order (a test checks it), so the keys and their order
  // are known without parsing the data.
  for (const [model, preset] of Object.entries(PUBLISHED))
    out.push([
      preset,
      () => {
        const d = publishedDisks().find((x) => x.disksim_model_name === model);
        if (!d) throw new Error(`published-disks.json: no drive ${model}`);
        return fromPublished(d, preset);
      },
    ]);
  out.push([
    'ssd-sata',
    () => {
      const spec = ssdSata();
      return {
        description:
          'Synthetic SATA SSD for contrast: 500 GiB, 4 channels, 80 µs read / 30 µs write latency, 530 MB/s ' +
          'aggregate bandwidth (SATA-III limit), queue depth 32 (NCQ). Not a specific product.',
        source: spec.source!,
        spec,
      };
    },
  ]);
  return out;
}

/** The disk presets by name, each built (its spec parsed) on first use. */
export const DISK_PRESETS: Record<string, DiskPreset> = lazyTable(presetBuilders());
