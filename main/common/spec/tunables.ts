/**
 * Every scheduler tunable the lab exposes, with Linux's default, its range, unit and a one-line
 * explanation (shown in the UI). Names follow the sysfs files under /sys/block/<dev>/queue/iosched/
 * with the unit appended where Linux's file is in ms or KiB. The spec's `host.params` (and a VM's
 * `guest_params`) are validated against these tables.
 *
 * Sources: block/cfq-iosched.c (4.19), block/bfq-iosched.c (6.1; 5.10 behind `linux_5_10`), block/deadline-iosched.c (4.x),
 * block/kyber-iosched.c (6.1), block/as-iosched.c (2.6.32) and Documentation/block/*-iosched.txt; see docs/schedulers/.
 */

export interface Tunable {
  readonly name: string;
  readonly default: number;
  readonly min: number;
  readonly max: number;
  /** Integer-valued (counts, sectors, booleans as 0/1). */
  readonly integer: boolean;
  readonly unit: 'ms' | 'KiB' | 'sectors' | 'requests' | 'bool' | '';
  readonly help: string;
}

const t = (
  name: string,
  def: number,
  min: number,
  max: number,
  unit: Tunable['unit'],
  help: string,
  integer = unit !== 'ms',
): Tunable => ({ name, default: def, min, max, integer, unit, help });

export const SCHEDULER_NAMES = ['noop', 'deadline', 'anticipatory', 'cfq', 'bfq', 'kyber'] as const;
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];
export const GUEST_SCHEDULER_NAMES = ['noop', 'deadline', 'cfq'] as const;
export type GuestSchedulerName = (typeof GUEST_SCHEDULER_NAMES)[number];

/** Schedulers that implement weighted groups (cgroups); `vpid-group` needs one of them. */
export const GROUP_SCHEDULERS: readonly SchedulerName[] = ['cfq', 'bfq'];

export const TUNABLES: Record<SchedulerName, readonly Tunable[]> = {
  noop: [],
  deadline: [
    t(
      'read_expire_ms',
      500,
      1,
      600_000,
      'ms',
      'A read is served at the next batch boundary once it has waited this long.',
    ),
    t('write_expire_ms', 5000, 1, 600_000, 'ms', 'Deadline of a write request.'),
    t(
      'fifo_batch',
      16,
      1,
      1024,
      'requests',
      'Requests dispatched in one sector-sorted batch before deadlines are checked again.',
    ),
    t(
      'writes_starved',
      2,
      1,
      64,
      'requests',
      'Read batches allowed before a pending write batch must be served.',
    ),
    t(
      'front_merges',
      1,
      0,
      1,
      'bool',
      'Try front merges (a new request that ends where a queued one starts).',
    ),
  ],
  anticipatory: [
    t('read_expire_ms', 125, 1, 600_000, 'ms', 'FIFO deadline of a read (sync) request.'),
    t('write_expire_ms', 250, 1, 600_000, 'ms', 'FIFO deadline of a write (async) request.'),
    t('read_batch_expire_ms', 500, 1, 600_000, 'ms', 'Length of a read batch when writes are waiting.'),
    t(
      'write_batch_expire_ms',
      125,
      1,
      600_000,
      'ms',
      'Length of a write batch when reads are waiting (also sizes the autotuned write count).',
    ),
    t(
      'antic_expire_ms',
      6,
      0,
      1000,
      'ms',
      "How long to wait after a read completes for the same process's next nearby read (0 = never anticipate).",
    ),
  ],
  cfq: [
    t(
      'quantum',
      8,
      1,
      64,
      'requests',
      'Maximum requests dispatched from one queue in a round (half of it before the slice is nearly used).',
    ),
    t(
      'fifo_expire_sync_ms',
      125,
      1,
      600_000,
      'ms',
      "A sync request older than this is served first at the start of its queue's next slice.",
    ),
    t('fifo_expire_async_ms', 250, 1, 600_000, 'ms', 'As fifo_expire_sync for async (writeback) requests.'),
    t(
      'back_seek_max_kb',
      16384,
      0,
      1_048_576,
      'KiB',
      'A request behind the head by at most this much may be chosen next (backward seek).',
    ),
    t('back_seek_penalty', 2, 1, 1000, '', 'Backward distance counts this many times the forward distance.'),
    t('slice_sync_ms', 100, 1, 10_000, 'ms', 'Base time slice of a sync queue (scaled by I/O priority).'),
    t('slice_async_ms', 40, 1, 10_000, 'ms', 'Base time slice of an async queue.'),
    t(
      'slice_async_rq',
      2,
      1,
      1024,
      'requests',
      'Scales how many requests an async queue may dispatch per slice.',
    ),
    t(
      'slice_idle_ms',
      8,
      0,
      1000,
      'ms',
      'Idle this long for the next request of a sync queue with a short think time (0 = no idling).',
    ),
    t(
      'group_idle_ms',
      8,
      0,
      1000,
      'ms',
      'Idle this long for the next request of a group before switching groups.',
    ),
    t(
      'low_latency',
      1,
      0,
      1,
      'bool',
      'Scale slices down so that all busy queues get a turn within target_latency.',
    ),
    t('target_latency_ms', 300, 1, 60_000, 'ms', 'Round-robin period low_latency aims at.'),
  ],
  bfq: [
    t(
      'slice_idle_ms',
      8,
      0,
      1000,
      'ms',
      'Idle this long for the next request of the in-service queue (0 = no idling).',
    ),
    t(
      'timeout_sync_ms',
      125,
      1,
      10_000,
      'ms',
      'Budget timeout: a sync queue is expired after this much service time.',
    ),
    t(
      'max_budget',
      0,
      0,
      1_048_576,
      'sectors',
      'Largest budget a queue may get, in sectors (0 = auto-tuned from the peak rate).',
    ),
    t('low_latency', 1, 0, 1, 'bool', 'Weight-raise interactive and soft real-time queues.'),
    t(
      'back_seek_max_kb',
      16384,
      0,
      1_048_576,
      'KiB',
      'A request behind the head by at most this much may be chosen next.',
    ),
    t('back_seek_penalty', 2, 1, 1000, '', 'Backward distance counts this many times the forward distance.'),
    t(
      'fifo_expire_sync_ms',
      125,
      1,
      600_000,
      'ms',
      'An expired sync request is served first when its queue is next in service.',
    ),
    t('fifo_expire_async_ms', 250, 1, 600_000, 'ms', 'As fifo_expire_sync for async requests.'),
    t(
      'strict_guarantees',
      0,
      0,
      1,
      'bool',
      'Always idle when a queue empties, and dispatch only with nothing in flight.',
    ),
    t(
      'linux_5_10',
      0,
      0,
      1,
      'bool',
      "Not a sysfs file: model Linux 5.10's BFQ where it differs from 6.1 (any non-root group with pending I/O makes the scenario asymmetric; no stable merging; waker detection twice within 200 µs).",
    ),
  ],
  kyber: [
    t(
      'read_lat_ms',
      2,
      0.001,
      10_000,
      'ms',
      'Latency target of reads (sysfs read_lat_nsec): kyber throttles the device queue to keep reads under it.',
    ),
    t('write_lat_ms', 10, 0.001, 10_000, 'ms', 'Latency target of writes (sysfs write_lat_nsec).'),
  ],
};

export type TunableValues = Record<string, number>;

/** The defaults of a scheduler, merged with the given overrides (already validated). */
export function resolveTunables(sched: SchedulerName, params: Readonly<TunableValues> = {}): TunableValues {
  const out: TunableValues = {};
  for (const tn of TUNABLES[sched]) out[tn.name] = params[tn.name] ?? tn.default;
  return out;
}

/** Validation errors for a params object: unknown names and out-of-range values. */
export function checkTunables(sched: SchedulerName, params: Readonly<Record<string, unknown>>): string[] {
  const errors: string[] = [];
  const known = new Map(TUNABLES[sched].map((x) => [x.name, x] as const));
  for (const [k, v] of Object.entries(params)) {
    const tn = known.get(k);
    if (!tn) {
      const names = [...known.keys()];
      errors.push(
        `${k}: unknown tunable for ${sched}` +
          (names.length ? ` (known: ${names.join(', ')})` : ' (noop has no tunables)'),
      );
      continue;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) errors.push(`${k}: expected a number`);
    else if (tn.integer && !Number.isInteger(v)) errors.push(`${k}: expected an integer`);
    else if (v < tn.min || v > tn.max) errors.push(`${k}: ${v} is out of range [${tn.min}, ${tn.max}]`);
  }
  return errors;
}
