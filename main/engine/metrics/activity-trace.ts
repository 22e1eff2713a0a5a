/**
 * The scheduler's activity of a simulated run (who had the disk, and the idle windows it waited
 * in): at most `cap` events, thinned evenly, kept as records of numbers (see RecordTrace). An idle
 * window ends about once a request under CFQ or BFQ; as objects, the kept ones were ~40 bytes of
 * garbage per request.
 */
import type { ActivityEvent } from '../../common/result';
import { RecordTrace } from './record-trace';

/** Where the collector puts activity events: this trace, or a zoomed window (ActivityWindow). */
export interface ActivitySink {
  /** Count one event and say whether it is kept (then `add` it). */
  accept(): boolean;
  /** Keep an event: a service interval (`paidOff` null) or an idle window. */
  add(kind: ActivityEvent['kind'], ctx: number, t: number, end: number, paidOff: boolean | null): void;
  readonly items: ActivityEvent[];
  readonly truncated: boolean;
  drain(): ActivityEvent[];
  stopStreaming(): void;
}

const KIND = 0;
const CTX = 1;
const T = 2;
const END = 3;
/** 1 or 0 for an idle window's paid_off, −1 for a service interval (no such field). */
const PAID = 4;
const REC = 5;

export class ActivityTrace extends RecordTrace<ActivityEvent> implements ActivitySink {
  constructor(cap: number) {
    super(cap, REC);
  }

  add(kind: ActivityEvent['kind'], ctx: number, t: number, end: number, paidOff: boolean | null): void {
    const o = this.next();
    const b = this.buf;
    b[o + KIND] = kind === 'idle' ? 1 : 0;
    b[o + CTX] = ctx;
    b[o + T] = t;
    b[o + END] = end;
    b[o + PAID] = paidOff === null ? -1 : paidOff ? 1 : 0;
    this.kept(o);
  }

  /** The event as the collector built it before (its fields in that order). */
  protected point(o: number): ActivityEvent {
    const b = this.buf;
    if (b[o + KIND] === 0) return { kind: 'service', ctx: b[o + CTX], t: b[o + T], end: b[o + END] };
    return { kind: 'idle', ctx: b[o + CTX], t: b[o + T], end: b[o + END], paid_off: b[o + PAID] === 1 };
  }
}

/** An event object as the collector built it: a service interval has no paid_off field. */
export function activityEvent(
  kind: ActivityEvent['kind'],
  ctx: number,
  t: number,
  end: number,
  paidOff: boolean | null,
): ActivityEvent {
  return paidOff === null ? { kind, ctx, t, end } : { kind, ctx, t, end, paid_off: paidOff };
}
