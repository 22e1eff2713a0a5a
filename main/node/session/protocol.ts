/** Messages between the session manager and a simulation worker (sim-worker.ts). */
import type { Pacing, RunEvent } from '../../common/api';

export interface SimWorkerData {
  spec: unknown;
  pacing: Pacing;
  /** Wall-clock interval between batches posted to the parent (ms). */
  batchMs?: number;
}

/**
 * Samples one streamed batch carries at most: more are merged into coarser points (common/series.ts),
 * the newest LIVE_BATCH_FULL_POINTS kept at full resolution. A run that covers fewer sample
 * intervals per batch (any run at the default sample interval) streams every sample as it is.
 */
export const LIVE_BATCH_MAX_POINTS = 250;
export const LIVE_BATCH_FULL_POINTS = 125;

export type ToWorker =
  /** The parent has passed the last 'samples' batch on: the worker may send the next one. */
  | { type: 'ack' }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  | { type: 'pacing'; pacing: Pacing };

export type FromWorker = RunEvent;
