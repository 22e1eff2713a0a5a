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
  | { type: 'done'; threads: ThreadReport[] }
  | { type: 'error'; message: string };

/** Parent → VM process. */
export type ParentMessage =
  | { type: 'plan'; plan: ProcessPlan }
  | { type: 'go'; t0: string }
  | { type: 'stop' };
