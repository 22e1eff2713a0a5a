/**
 * The scheduler's activity events of one time window, every one of them (no thinning), at most
 * `max`: what a zoomed activity chart asks for when the run's own trace (Thinned, capped by
 * `trace_max_points`) kept only an even subset. Memory is bounded by the window, not the run.
 */
import type { ActivityEvent } from '../../common/result';
import { Thinned } from './thinned';

export class ActivityWindow extends Thinned<ActivityEvent> {
  /** True when the window held more than `max` events (the first `max` are kept). */
  overflow = false;

  constructor(
    readonly fromS: number,
    readonly toS: number,
    readonly max: number,
  ) {
    super(max);
  }

  /** Every event is looked at (no thinning): `add` decides. */
  override accept(): boolean {
    return true;
  }

  /** Keeps an event that overlaps [fromS, toS]; nothing is streamed (drain stays empty). */
  override push(e: ActivityEvent): void {
    this.add(e);
  }

  override add(e: ActivityEvent): void {
    if (e.end < this.fromS || e.t > this.toS) return;
    if (this.items.length >= this.max) {
      this.overflow = true;
      return;
    }
    this.items.push(e);
  }
}
