/**
 * Messages and plans shared by the real-disk parent (run.ts), the VM processes (vm-process.ts) and
 * the I/O threads (io-thread.ts). Times are nanoseconds relative to the run's start instant t0
 * (CLOCK_MONOTONIC via process.hrtime, which is system-wide, so every process agrees on it).
 */

/** One workload thread (a guest thread of a VM, or a native host thread) as its I/O thread runs it. */
export interface IoThreadPlan {
  /** Global thread index (as in the layout). */
  index: number;
  /** Index in this process's shared generator state. */
  local: number;
  file: string;
  /** Region in the file, bytes (aligned). */
  regionStart: number;
  regionBytes: number;
  blockBytes: number;
  op: 'read' | 'write' | 'rw';
  rwmixRead: number;
  random: boolean;
  iodepth: number;
  thinkNs: number;
  poissonRateIops: number | null;
  startNs: number;
  stopNs: number;
  syncWrites: boolean;
  seed: number;
}

/** One host context: one OS thread (worker_threads Worker) doing synchronous I/O. */
export interface IoWorkerPlan {
  /** Host context id (layout.contexts[].id). */
  ctx: number;
  name: string;
  /** Local thread indices this context may serve. */
  serves: number[];
  /** Lock/wake slot shared by the contexts that take requests from the same queue (a pool). */
  lock: number;
}

export interface ProcessPlan {
  /** VM index, or -1 for the native host process. */
  vm: number;
  name: string;
  threads: IoThreadPlan[];
  workers: IoWorkerPlan[];
  locks: number;
  durationNs: number;
}

export interface WorkerData {
  plan: ProcessPlan;
  worker: number;
  /** Shared generator state (Float64Array, see io-thread.ts). */
  state: SharedArrayBuffer;
  /** Int32Array: [stop, go, lock word per lock…, wake counter per lock…]. */
  control: SharedArrayBuffer;
  /** BigInt64Array [t0]: the run's start instant (process.hrtime.bigint()), set before go. */
  clock: SharedArrayBuffer;
  stateOffsets: number[];
}

export const CTL_STOP = 0;
export const CTL_GO = 1;
export const CTL_LOCKS = 2;

/** Float64 slots per thread in the generator state: seq, rng, next arrival, then one per iodepth token. */
export const stateSlots = (iodepth: number): number => 3 + iodepth;

/**
 * The next uniform number of a thread's generator (xorshift32 in slot off+1 of the shared state),
 * used by the I/O threads and, at the end, by the VM process to count a Poisson backlog.
 */
export function nextUniform(st: Float64Array, off: number): number {
  let x = st[off + 1] >>> 0;
  x ^= x << 13;
  x >>>= 0;
  x ^= x >>> 17;
  x ^= x << 5;
  x >>>= 0;
  st[off + 1] = x;
  return x / 4294967296;
}

/** The gap (ns) to a Poisson thread's next arrival. */
export const poissonGapNs = (st: Float64Array, off: number, rateIops: number): number =>
  (-Math.log(Math.max(1e-12, nextUniform(st, off))) / rateIops) * 1e9;

/** A thread's requests that were due before the run's end but never issued, and the oldest one's due time. */
export interface PendingReport {
  index: number;
  count: number;
  oldestNs: number;
}

/**
 * Requests of a process's threads due before `endNs` and never issued, from the shared generator
 * state once every I/O thread has stopped: ready iodepth tokens, and a Poisson thread's backlog
 * (its arrivals are drawn on to the end, which consumes its generator: call once, at the end).
 */
export function pendingAtEnd(
  plan: ProcessPlan,
  st: Float64Array,
  offsets: number[],
  endNs: number,
): PendingReport[] {
  const out: PendingReport[] = [];
  for (const t of plan.threads) {
    const off = offsets[t.local];
    const end = Math.min(endNs, t.stopNs);
    let count = 0;
    let oldest = Number.POSITIVE_INFINITY;
    if (t.poissonRateIops !== null) {
      for (let due = st[off + 2]; due < end; due += poissonGapNs(st, off, t.poissonRateIops)) {
        count++;
        if (due < oldest) oldest = due;
      }
    } else
      for (let k = 0; k < t.iodepth; k++) {
        const due = st[off + 3 + k];
        if (due >= 0 && due < end) {
          count++;
          if (due < oldest) oldest = due;
        }
      }
    if (count > 0) out.push({ index: t.index, count, oldestNs: oldest });
  }
  return out;
}

/** Completion records: flat Float64Array of RECORD fields each. */
export const RECORD = 8; // thread, tSubmit, tDispatch, tDone, bytes, isRead, file offset, host context id

export interface ThreadReport {
  ctx: number;
  name: string;
  tid: number;
  pid: number;
  /** CPU seconds used by the thread during the run (from /proc/thread-self/stat). */
  cpu_s: number;
  wall_s: number;
}

/** VM process → parent. */
export type ChildMessage =
  | { type: 'ready'; pid: number; threads: ThreadReport[] }
  | { type: 'records'; data: Float64Array | number[] }
  | { type: 'done'; threads: ThreadReport[]; pending: PendingReport[] }
  | { type: 'error'; message: string };

/** Parent → VM process. */
export type ParentMessage =
  | { type: 'plan'; plan: ProcessPlan }
  | { type: 'go'; t0: string }
  | { type: 'stop' };
