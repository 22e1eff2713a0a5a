/** Messages between the session manager and a simulation worker (sim-worker.ts). */
import type { Pacing, RunEvent } from '../../common/api';

export interface SimWorkerData {
  spec: unknown;
  pacing: Pacing;
  /** Wall-clock interval between batches posted to the parent (ms). */
  batchMs?: number;
}

export type ToWorker =
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  | { type: 'pacing'; pacing: Pacing };

export type FromWorker = RunEvent;
