/**
 * The I/O priority a context's queues run at, as CFQ and BFQ both derive it when they set up a
 * queue (cfq_init_prio_data / bfq_set_next_ioprio_data), and the key of the async queue it shares.
 */
import type { IoprioClass, SchedContextInfo } from './types';

/** Class (absent = best-effort) and level 0..7; the idle class always runs at level 7. */
export function queueIoprio(info: SchedContextInfo): { cls: IoprioClass; level: number } {
  const cls = info.ioprioClass ?? 'be';
  return { cls, level: cls === 'idle' ? 7 : Math.min(7, Math.max(0, info.ioprio | 0)) };
}

/**
 * Key of a group's shared async queue (cfq_async_queue_prio / bfq_async_queue_prio): one per class
 * and level, a single one for the idle class.
 */
export const asyncQueueKey = (group: number, cls: IoprioClass, level: number): string =>
  cls === 'idle' ? `${group}:idle` : `${group}:${cls}${level}`;
