/** Messages between the session manager and a simulation worker (sim-worker.ts). */
import type { Pacing, RunEvent } from '../../common/api';
import { SERIES_FULL_POINTS, SERIES_MAX_POINTS } from '../../common/series';

export interface SimWorkerData {
  spec: unknown;
  pacing: Pacing;
  /** Wall-clock interval between batches posted to the parent (ms). */
  batchMs?: number;
}

/**
 * Samples one streamed batch carries at most: the points the page's series keeps (common/series.ts),
 * so a batch never brings more than the page would hold; more are merged into coarser points the
 * same way, the newest LIVE_BATCH_FULL_POINTS kept at full resolution. A batch that covers fewer
 * sample intervals streams every sample as it is.
 */
export const LIVE_BATCH_MAX_POINTS = SERIES_MAX_POINTS;
export const LIVE_BATCH_FULL_POINTS = SERIES_FULL_POINTS;

export type ToWorker =
  /** The parent has passed the last 'samples' batch on: the worker may send the next one. */
  | { type: 'ack' }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  | { type: 'pacing'; pacing: Pacing };

export type FromWorker = RunEvent;
