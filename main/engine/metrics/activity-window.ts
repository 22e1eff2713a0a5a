/**
 * The scheduler's activity events of one time window, every one of them (no thinning), at most
 * `max`: what a zoomed activity chart asks for when the run's own trace (ActivityTrace, capped by
 * `trace_max_points`) kept only an even subset. Memory is bounded by the window, not the run.
 */
import type { ActivityEvent } from '../../common/result';
import { type ActivitySink, activityEvent } from './activity-trace';

export class ActivityWindow implements ActivitySink {
  readonly items: ActivityEvent[] = [];
  /** True when the window held more than `max` events (the first `max` are kept). */
  overflow = false;
  readonly truncated = false;

  constructor(
    readonly fromS: number,
    readonly toS: number,
    readonly max: number,
  ) {}

  /** Every event is looked at (no thinning): `add` decides. */
  accept(): boolean {
    return true;
  }

  /** Keeps an event that overlaps [fromS, toS]; nothing is streamed (drain stays empty). */
  add(kind: ActivityEvent['kind'], ctx: number, t: number, end: number, paidOff: boolean | null): void {
    if (end < this.fromS || t > this.toS) return;
    if (this.items.length >= this.max) {
      this.overflow = true;
      return;
    }
    this.items.push(activityEvent(kind, ctx, t, end, paidOff));
  }

  drain(): ActivityEvent[] {
    return [];
  }

  stopStreaming(): void {}
}
