/**
 * The experiment spec (DESIGN.md "Experiment spec"): one zod schema, shared by the CLI, the UI's
 * inline validation, bundles and tests. Objects are strict (unknown fields are rejected) and every
 * error names the field's path.
 */
import { z } from 'zod';
import { GUEST_SCHEDULER_NAMES, SCHEDULER_NAMES } from './tunables';

// zod compiles a parser for each object schema (new Function) on its first parse: worth it for
// thousands of parses of one schema, a cost at start-up for the few a command makes (a spec, its
// disk). Set before the schemas below are built: zod reads it when a schema is made. Same results.
z.config({ jitless: true });

const num = (min: number, max = Number.MAX_SAFE_INTEGER) => z.number().finite().min(min).max(max);
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max);

// ---------------------------------------------------------------- disk

export const ZoneSchema = z.strictObject({
  cylinders: int(1, 10_000_000),
  sectors_per_track: int(1, 100_000),
  track_skew_sectors: int(0, 100_000).optional(),
  cylinder_skew_sectors: int(0, 100_000).optional(),
});

export const SeekSchema = z.discriminatedUnion('model', [
  z.strictObject({
    model: z.literal('two-piece'),
    boundary_cyl: int(1),
    short_a_ms: num(0, 1000),
    short_b_ms: num(0, 1000),
    long_a_ms: num(0, 1000),
    long_b_ms: num(0, 1000),
  }),
  z.strictObject({
    model: z.literal('three-point'),
    track_to_track_ms: num(0, 1000),
    average_ms: num(0, 1000),
    full_stroke_ms: num(0, 1000),
  }),
  z.strictObject({
    model: z.literal('table'),
    points: z.array(z.tuple([num(0), num(0, 10_000)])).min(1),
  }),
]);

export const CacheSchema = z.strictObject({
  segments: int(1, 4096),
  segment_kb: int(1, 1_048_576),
  readahead: z.boolean().default(true),
  readahead_min_kb: num(0, 1_048_576).default(0),
  /**
   * DiskSim's "Fast write level" (src/disksim_diskctlr.c, disk_write_arrive and
   * disk_buffer_transfer_size): 0 (absent) = write-through, a write completes after its media write;
   * 1 (limited) and 2 (full) = write-back, a write completes once its data is in the buffer and the
   * media write follows in the background. Level 1 differs from 2 only with other requests queued
   * in the drive (an append to a write in progress is taken on the bus only when it is alone).
   */
  fast_write: int(0, 2).optional(),
});

/**
 * DiskSim's bus between host and drive (src/disksim_bus.c, disk_get_blktranstime in
 * src/disksim_diskctlr.c): a time per 512-byte block in each direction (the larger of the bus's
 * block transfer time and the drive's "Bulk sector transfer time"), an arbitration time paid each
 * time the drive or the host takes the bus, and when the drive reconnects for a read: after
 * `read_watermark` × the request's blocks are in its buffer (DiskSim "High (read) water mark", set
 * by request size; at least one block), keeping the bus until the end (`hold_read`) or
 * disconnecting whenever the transfer catches up with the media. Replaces `interface_mbps`.
 */
export const BusSchema = z.strictObject({
  read_block_ms: num(0, 1000),
  write_block_ms: num(0, 1000),
  arbitration_ms: num(0, 1000).default(0),
  read_watermark: num(0, 1).default(0),
  hold_read: z.boolean().default(false),
  hold_write: z.boolean().default(false),
});

/**
 * DiskSim's drive controller overheads (disk_read_arrive, disk_write_arrive, disk_request_complete
 * in src/disksim_diskctlr.c): a command overhead chosen by hit or miss and by whether the previous
 * completed request was a read or a write, counted from the request's arrival at the drive (so at
 * queue depth > 1 it overlaps the service of the requests before it); a completion overhead before
 * the completion reaches the host; a per-request overhead before the command is looked at; the
 * reselect overhead of each reconnection and the data preparation before a transfer. Replaces
 * `controller_overhead_ms`. Writes use the write-miss overheads when write-through and the write-hit
 * ones with `cache.fast_write` (as disk_write_arrive does); disconnect and reselect overheads as
 * disk_reconnection_or_transfer_complete and disk_check_bus charge them.
 */
export const OverheadsSchema = z.strictObject({
  per_request_ms: num(0, 1000).default(0),
  read_hit_after_read_ms: num(0, 1000),
  read_hit_after_write_ms: num(0, 1000),
  read_miss_after_read_ms: num(0, 1000),
  read_miss_after_write_ms: num(0, 1000),
  write_miss_after_read_ms: num(0, 1000),
  write_miss_after_write_ms: num(0, 1000),
  read_complete_ms: num(0, 1000).default(0),
  write_complete_ms: num(0, 1000).default(0),
  reselect_ms: num(0, 1000).default(0),
  data_prep_ms: num(0, 1000).default(0),
  /** Command overhead of a write with `cache.fast_write` (DiskSim "Write hit over. after read / after write"); default: the write-miss values. */
  write_hit_after_read_ms: num(0, 1000).optional(),
  write_hit_after_write_ms: num(0, 1000).optional(),
  /** DiskSim "Read disconnect afterread / afterwrite": a read's disconnect from the bus (before the drive may reconnect). */
  read_disconnect_after_read_ms: num(0, 1000).optional(),
  read_disconnect_after_write_ms: num(0, 1000).optional(),
  /** DiskSim "Write disconnect overhead": a write's disconnect after its data crossed the bus (or, buffered writes, while the mechanism is busy). */
  write_disconnect_ms: num(0, 1000).optional(),
  /** DiskSim "Other reselect overhead": the final reconnection of a write that had an extra disconnect. */
  reselect_other_ms: num(0, 1000).optional(),
  /**
   * DiskSim "Extra write disconnect" (the HP C2240 family): a write following a non-sequential write
   * disconnects once more before its data moves (disk_write_arrive, disk_disconnect,
   * disk_reconnection_or_transfer_complete; flag set in disk_buffer_select_segment, disksim_diskcache.c).
   */
  extra_write_disconnect: z
    .strictObject({
      /** "Extradisc command overhead" (replaces the write command overhead). */
      command_ms: num(0, 1000),
      /** "Extradisc disconnect overhead" (the first disconnect, after the command). */
      disconnect_ms: num(0, 1000),
      /** "Extradisc inter-disconnect delay" (from that disconnect to the reconnection for the data). */
      inter_disconnect_ms: num(0, 1000),
      /** "Extradisc 2nd disconnect overhead" (after the data, instead of the write disconnect). */
      disconnect2_ms: num(0, 1000),
      /** "Extradisc seek delta" (added to the command overhead before the seek may start). */
      seek_delta_ms: num(0, 1000),
    })
    .optional(),
});

export const HddSchema = z.strictObject({
  kind: z.literal('hdd'),
  name: z.string().optional(),
  source: z.string().optional(),
  rpm: num(60, 100_000),
  sector_bytes: int(256, 65536).default(512),
  heads: int(1, 1024),
  zones: z.array(ZoneSchema).min(1),
  seek: SeekSchema,
  head_switch_ms: num(0, 1000),
  track_skew_sectors: int(0, 100_000).optional(),
  cylinder_skew_sectors: int(0, 100_000).optional(),
  controller_overhead_ms: num(0, 1000).default(0),
  interface_mbps: num(1, 1_000_000).default(300),
  bus: BusSchema.optional(),
  overheads: OverheadsSchema.optional(),
  /** Where a value comes from, by field path (e.g. "bus.read_block_ms" → a file and line). */
  provenance: z.record(z.string(), z.string()).optional(),
  cache: CacheSchema.nullable().default(null),
  queue_depth: int(1, 256).default(1),
});

export const SsdSchema = z.strictObject({
  kind: z.literal('ssd'),
  name: z.string().optional(),
  source: z.string().optional(),
  capacity_gb: num(0.001, 1_000_000),
  read_latency_us: num(0, 1_000_000),
  write_latency_us: num(0, 1_000_000),
  channels: int(1, 1024),
  bandwidth_mbps: num(1, 1_000_000),
  queue_depth: int(1, 1024).default(32),
});

export const DiskPresetRefSchema = z.strictObject({ preset: z.string().min(1) });

export const DiskSpecSchema = z.union([DiskPresetRefSchema, HddSchema, SsdSchema]);

// ---------------------------------------------------------------- workload

export const ArrivalSchema = z.strictObject({
  type: z.literal('poisson'),
  rate_iops: num(0.000001, 100_000_000),
});

export const IOPRIO_CLASSES = ['rt', 'be', 'idle'] as const;
export type IoprioClassName = (typeof IOPRIO_CLASSES)[number];

export const TRACE_FORMATS = [
  'blkparse',
  'fio-iolog',
  'disksim-ascii',
  'disksim-validate',
  'msr-csv',
] as const;
export type TraceFormat = (typeof TRACE_FORMATS)[number];

/** A trace workload (docs/traces.md): the thread replays a trace file instead of generating I/O. */
export const TraceSpecSchema = z.strictObject({
  format: z.enum(TRACE_FORMATS),
  /** Path of the trace file; relative paths resolve against the spec file's folder. */
  file: z.string().min(1).max(4096),
  /** open: arrivals at the recorded times × time_scale; closed: next request when one completes, plus the recorded think time. */
  mode: z.enum(['open', 'closed']).default('open'),
  time_scale: num(0.000001, 1_000_000).default(1),
  /** pid: one thread per process id in the trace (blkparse); none: one thread for the whole trace. */
  split_by: z.enum(['pid', 'none']).default('none'),
  lba_offset_sectors: z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER).default(0),
  /** Requests outside the thread's space (the VM image, or the disk): wrapped into it, or skipped. Counted either way. */
  out_of_range: z.enum(['remap', 'drop']).default('drop'),
  /** blkparse: which event is the request's arrival (Q queued, D issued to the driver). */
  events: z.enum(['Q', 'D']).default('Q'),
  /** SHA-256 of the file (hex); set by bundles so a replay proves it reads the same trace. */
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});

export const ThreadSchema = z.strictObject({
  name: z.string().min(1).max(64),
  count: int(1, 1024).default(1),
  op: z.enum(['read', 'write', 'rw']).default('read'),
  rwmix_read: num(0, 100).default(50),
  pattern: z.enum(['sequential', 'random']).default('sequential'),
  block_kb: num(0.5, 65536).default(64),
  iodepth: int(1, 1024).default(1),
  think_ms: num(0, 3_600_000).default(0),
  offset_gb: num(0).default(0),
  size_gb: num(0.000001).optional(),
  arrival: ArrivalSchema.optional(),
  start_s: num(0).default(0),
  stop_s: num(0).optional(),
  /** Writes are O_DIRECT (sync) by default, like fio direct=1 and Qemu cache=none; false = buffered writeback (async). */
  sync_writes: z.boolean().default(true),
  /** I/O priority level 0..7 (ionice -n) within the class; ignored for the idle class, as in Linux. */
  ioprio: int(0, 7).default(4),
  /** I/O priority class (ionice -c 1 rt, -c 2 be, -c 3 idle); absent = be. */
  ioprio_class: z.enum(IOPRIO_CLASSES).optional(),
  /** Replay a trace instead of op/pattern/block_kb/arrival (closed mode keeps `iodepth` requests outstanding). */
  trace: TraceSpecSchema.optional(),
});

// ---------------------------------------------------------------- stack

export const MAPPINGS = ['vm', 'pool', 'vpid', 'vpid-hash', 'vpid-group'] as const;
export type Mapping = (typeof MAPPINGS)[number];

const ParamsSchema = z.record(z.string(), z.number());

export const VmSchema = z.strictObject({
  name: z.string().min(1).max(64),
  mapping: z.enum(MAPPINGS).default('vm'),
  pool_threads: int(1, 1024).default(8),
  hash_buckets: int(1, 1024).default(4),
  weight: int(1, 1000).default(100),
  image: z
    .strictObject({
      offset_gb: num(0),
      size_gb: num(0.000001),
    })
    .optional(),
  virtio_queue_depth: int(1, 1024).default(128),
  guest_scheduler: z.enum(GUEST_SCHEDULER_NAMES).default('noop'),
  guest_params: ParamsSchema.default({}),
  qemu_overhead_us: num(0, 1_000_000).default(20),
  start_s: num(0).default(0),
  threads: z.array(ThreadSchema).default([]),
});

export const HostSchema = z.strictObject({
  scheduler: z.enum(SCHEDULER_NAMES).default('cfq'),
  params: ParamsSchema.default({}),
  /**
   * Time from the host scheduler's dispatch to the request's arrival at the disk (driver, HBA or
   * virtio transport), µs. The request holds its device slot meanwhile, so on a queue-depth-1 disk
   * the disk idles this long between a completion and an already queued request. The
   * kernel backend measures it for its emulated guest (docs/kernel.md, "Honest timing"). Absent = 0.
   */
  dispatch_latency_us: num(0, 1_000_000).optional(),
});

export const SpecSchema = z.strictObject({
  name: z.string().min(1).max(200),
  description: z.string().max(10_000).optional(),
  seed: int(0, 2 ** 32 - 1).default(1),
  duration_s: num(0.001, 86_400 * 7),
  warmup_s: num(0).default(0),
  sample_interval_ms: num(1, 3_600_000).default(250),
  disk: DiskSpecSchema.default({ preset: 'sata-7200' }),
  host: HostSchema.default({ scheduler: 'cfq', params: {} }),
  vms: z.array(VmSchema).default([]),
  native: z.array(ThreadSchema).default([]),
  matrix: z.record(z.string(), z.array(z.union([z.string(), z.number(), z.boolean()])).min(1)).optional(),
  /** Cap on recorded dispatch points for the seek-pattern chart and trace export. */
  trace_max_points: int(0, 10_000_000).default(20_000),
});

export type ZoneSpec = z.infer<typeof ZoneSchema>;
export type SeekSpec = z.infer<typeof SeekSchema>;
export type CacheSpec = z.infer<typeof CacheSchema>;
export type BusSpec = z.infer<typeof BusSchema>;
export type OverheadsSpec = z.infer<typeof OverheadsSchema>;
export type HddSpec = z.infer<typeof HddSchema>;
export type SsdSpec = z.infer<typeof SsdSchema>;
export type DiskModelSpec = HddSpec | SsdSpec;
export type DiskSpec = z.infer<typeof DiskSpecSchema>;
export type ThreadSpec = z.infer<typeof ThreadSchema>;
export type TraceSpec = z.infer<typeof TraceSpecSchema>;
export type VmSpec = z.infer<typeof VmSchema>;
export type HostSpec = z.infer<typeof HostSchema>;
/** A spec after parsing (defaults filled). */
export type Spec = z.infer<typeof SpecSchema>;
/** What a user writes (defaults optional). */
export type SpecInput = z.input<typeof SpecSchema>;
