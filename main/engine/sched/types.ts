/**
 * The scheduler interface: a small set of hooks, as the Linux block layer's elevator operations
 * (elevator_add_req_fn, elevator_dispatch_fn, elevator_completed_req_fn, has-work), plus timers
 * for idling. The same implementations serve as host schedulers (contexts = host processes: Qemu
 * instances, Qemu threads, native processes) and as guest schedulers (contexts = guest PIDs).
 *
 * The block layer drives a single-queue scheduler like Linux's request_fn loop:
 *   - after insert(), after completed() and whenever kick() was called, it calls dispatch()
 *     repeatedly while the device has a free slot (in flight < queue depth) and dispatch()
 *     returns a request;
 *   - a blk-mq scheduler (blkMq) is run as blk-mq runs it: not after a completion unless the device
 *     was found full meanwhile, and 3 ms after a run in which it returned nothing (request-queue.ts);
 *   - a scheduler that wants to wait (idle / anticipate) returns null and arms a timer with
 *     env.setTimer(); when it fires the scheduler calls env.kick().
 */
import type { TimerHandle } from '../core/sim';
import type { BlockRequest } from '../io/request';

/** I/O priority class (ionice -c 1 realtime, -c 2 best-effort, -c 3 idle). */
export type IoprioClass = 'rt' | 'be' | 'idle';

export interface SchedContextInfo {
  /** Stable id (what the scheduler keys its per-process queues by). */
  readonly id: number;
  /** Scheduling group (cgroup) id; 0 = root. */
  readonly group: number;
  /** For traces and UI: "qemu-A", "qemu-B/vpid 3", "native rand#0"… */
  readonly name: string;
  /** I/O priority level 0..7 within the class (Linux default 4; ignored for the idle class). */
  readonly ioprio: number;
  /** I/O priority class; absent = best-effort (what every context had before classes existed). */
  readonly ioprioClass?: IoprioClass;
}

export interface SchedGroupInfo {
  readonly id: number;
  /** Parent group id, or -1 for the root (id 0). */
  readonly parent: number;
  /** Weight (cfq: blkio.weight 10..1000, bfq: io.bfq.weight 1..1000). */
  readonly weight: number;
  readonly name: string;
}

/** Observability hooks: why a scheduler did what it did (shown in the UI's activity chart). */
export interface SchedTrace {
  /** `ctx` becomes the active / in-service queue (-1: none). */
  serviceStart(ctx: number): void;
  /** The scheduler starts idling (anticipating) for `ctx`'s next request. */
  idleStart(ctx: number): void;
  /** Idling for `ctx` ended; paidOff = the awaited context's request arrived in time. */
  idleEnd(ctx: number, paidOff: boolean): void;
}

export interface SchedulerEnv {
  /** Current simulated time (ns). */
  now(): number;
  /** The same time as a field (`clock.now`): for the per-request paths, one load instead of a call. */
  readonly clock: { readonly now: number };
  setTimer(delayNs: number, fn: () => void): TimerHandle;
  /**
   * As cancelling `h` (a handle `setTimer` returned, which nobody else keeps) and setting a timer
   * with the same callback: `h` itself is armed again, nothing is allocated.
   */
  resetTimer(h: TimerHandle, delayNs: number): TimerHandle;
  cancelTimer(h: TimerHandle | null | undefined): void;
  /** Ask the block layer to run the dispatch loop again (e.g. from a timer). Safe to call any time. */
  kick(): void;
  /** Requests dispatched to the device and not yet completed. */
  inFlight(): number;
  /** The device's queue depth (1 = no command queueing). */
  readonly deviceQueueDepth: number;
  /** Rotational media (idling pays only on rotational disks). */
  readonly rotational: boolean;
  contextInfo(ctx: number): SchedContextInfo;
  groupInfo(group: number): SchedGroupInfo;
  readonly trace: SchedTrace;
}

export interface IoScheduler {
  readonly name: string;
  /**
   * A blk-mq scheduler (Linux 5.0+: bfq, kyber, mq-deadline): the block layer runs it as blk-mq
   * does (see stack/request-queue.ts), not after every completion. Absent = single-queue (legacy).
   */
  readonly blkMq?: boolean;
  /** Queue a request (merging it into a queued one where the scheduler allows). */
  insert(rq: BlockRequest): void;
  /** Hand the next request to the device, or null (nothing queued, or idling on purpose). */
  dispatch(): BlockRequest | null;
  /** A request this scheduler dispatched has completed at the device. */
  completed(rq: BlockRequest): void;
  /** Requests held by the scheduler (queued, not dispatched). */
  queued(): number;
  /** Per-context count of queued requests (for the UI's queue-length series). */
  queueLengths(): ReadonlyMap<number, number>;
}

export type SchedulerFactory<P> = (env: SchedulerEnv, params: P) => IoScheduler;

/** A no-op trace for tests and guest layers that are not observed. */
export const NO_TRACE: SchedTrace = {
  serviceStart() {},
  idleStart() {},
  idleEnd() {},
};
