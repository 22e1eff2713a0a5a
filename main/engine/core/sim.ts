/**
 * The event core: one priority queue of timed callbacks over integer nanoseconds, in the spirit of
 * SimPy's environment. Events at the same time run in the order they were scheduled (FIFO by a
 * sequence number), which makes every run deterministic. Timers are cancellable (schedulers arm
 * idle timers and cancel them when the awaited request arrives).
 *
 * Layout for speed (a run executes millions of events): the binary heap holds slot numbers in an
 * Int32Array, each slot's time and sequence number live in Float64Arrays and its callback in a
 * plain array; freed slots are reused. `post`/`postAt` schedule without allocating anything (the
 * callers pass functions bound once); only `at`/`after`, whose handle can be cancelled, allocate
 * the small handle object.
 *
 * Two shortcuts that leave the order of events exactly as one (time, seq) heap would give it:
 * - Events posted for the current instant (a queue kick: half of all events under CFQ) go to a
 *   FIFO ring instead of the heap. They all carry time `now` and increasing sequence numbers, so
 *   the ring is sorted, and the next event is the ring's head unless the heap's head is due now
 *   under a smaller sequence number.
 * - A cancelled timer leaves the heap at once when the heap is small (a scan finds it), so idle
 *   timers armed and cancelled once per request do not deepen the heap while they wait to expire.
 *   In a large heap it stays, marked, until it reaches the head (as before). Either way the
 *   remaining events keep their (time, seq) order: the heap's shape does not decide it.
 */
import { timeField } from './time';

export interface TimerHandle {
  /** Absolute time (ns) the event fires at. */
  readonly time: number;
  /** True once cancelled or fired. */
  readonly done: boolean;
}

class Timer implements TimerHandle {
  done = false;
  /**
   * Declared with a double, not as a constructor parameter property: a parameter property is first
   * defined as undefined (ES2022 class fields), which leaves the field tagged, and every `rearm`
   * then boxed the new time into a fresh heap number (an idle timer is rearmed once per request).
   */
  time = timeField(0);
  /** Its slot while it is scheduled. */
  slot = 0;
  /** Its callback (`rearm` schedules it again). */
  readonly fn: () => void;
  constructor(time: number, slot: number, fn: () => void) {
    this.time = time;
    this.slot = slot;
    this.fn = fn;
  }
  /**
   * What the heap runs: marks the timer done, then calls back. The event loop itself then treats
   * every event alike (it never looks at timers), so its compiled code has no rarely taken branch.
   */
  readonly fire = (): void => {
    this.done = true;
    this.fn();
  };
}

const INITIAL_SLOTS = 64;
/** Largest heap searched to take a cancelled timer out at once (else it is dropped at the head). */
const CANCEL_SCAN_MAX = 64;

export class Simulator {
  private times = new Float64Array(INITIAL_SLOTS);
  private seqs = new Float64Array(INITIAL_SLOTS);
  private fns: ((() => void) | null)[] = new Array(INITIAL_SLOTS).fill(null);
  /** 1 for the slot of a cancelled timer left in the heap (see `cancel`); `dead` counts them. */
  private cancelled = new Uint8Array(INITIAL_SLOTS);
  private dead = 0;
  /** Heap of slot numbers ordered by (time, seq). */
  private heap = new Int32Array(INITIAL_SLOTS);
  private size = 0;
  /** Free slot numbers (a stack); slots below `used` that are not in the heap. */
  private free = new Int32Array(INITIAL_SLOTS);
  private freeTop = 0;
  private used = 0;
  private seq = 0;
  /** Ring of events due at `now` (see the module comment): callbacks and sequence numbers. */
  private laneFns: ((() => void) | null)[] = new Array(INITIAL_SLOTS).fill(null);
  private laneSeqs = new Float64Array(INITIAL_SLOTS);
  private laneHead = 0;
  private laneLen = 0;
  /**
   * The current simulated time (ns). A plain field rather than a getter: it is read several times
   * per event, and a field costs nothing before the optimising compiler inlines anything. Only the
   * core writes it.
   */
  readonly now: number = timeField(0); // a double from the start: see core/time.ts
  /** Number of events executed so far (for benchmarks). */
  executed = 0;

  /** Schedule `fn` at absolute time `time` (ns, integer, >= now). */
  at(time: number, fn: () => void): TimerHandle {
    const t = time < this.now ? this.now : Math.round(time);
    const slot = this.allocSlot();
    const h = new Timer(t, slot, fn);
    this.insert(slot, t, this.seq++, h.fire);
    return h;
  }

  /**
   * Schedule the callback of `h` again, `delay` ns from now: the same as cancelling `h` and calling
   * `after(delay, fn)` (same time, same sequence number), but `h` itself is scheduled again instead
   * of a new handle (an idle timer armed once per request allocates nothing). Only for a handle
   * that nobody else keeps to test `done` on.
   */
  rearm(h: TimerHandle, delay: number): TimerHandle {
    const timer = h as Timer;
    if (!timer.done) this.cancel(timer);
    const time = this.now + Math.max(delay, 0); // as `after` → `at`
    const slot = this.allocSlot();
    timer.done = false;
    timer.time = time < this.now ? this.now : Math.round(time);
    timer.slot = slot;
    this.insert(slot, timer.time, this.seq++, timer.fire);
    return timer;
  }

  /** Schedule `fn` after `delay` ns. */
  after(delay: number, fn: () => void): TimerHandle {
    return this.at(this.now + Math.max(delay, 0), fn);
  }

  /** As `at`, without a handle (cannot be cancelled; allocates nothing). */
  postAt(time: number, fn: () => void): void {
    if (time <= this.now) this.pushLane(fn);
    else this.insert(this.allocSlot(), Math.round(time), this.seq++, fn);
  }

  /** As `after`, without a handle (cannot be cancelled; allocates nothing). */
  post(delay: number, fn: () => void): void {
    if (delay <= 0) this.pushLane(fn);
    else this.insert(this.allocSlot(), Math.round(this.now + delay), this.seq++, fn);
  }

  /** An event due now, under the next sequence number: at the tail of the ring. */
  private pushLane(fn: () => void): void {
    if (this.laneLen === this.laneSeqs.length) this.growLane();
    const i = (this.laneHead + this.laneLen) & (this.laneSeqs.length - 1);
    this.laneFns[i] = fn;
    this.laneSeqs[i] = this.seq++;
    this.laneLen++;
  }

  private growLane(): void {
    const n = this.laneSeqs.length;
    const fns: ((() => void) | null)[] = new Array(2 * n).fill(null);
    const seqs = new Float64Array(2 * n);
    for (let k = 0; k < n; k++) {
      const i = (this.laneHead + k) & (n - 1);
      fns[k] = this.laneFns[i];
      seqs[k] = this.laneSeqs[i];
    }
    this.laneFns = fns;
    this.laneSeqs = seqs;
    this.laneHead = 0;
  }

  /**
   * Reserve `n` consecutive sequence numbers now and return the first. An event later scheduled
   * with `postReserved` under one of them runs, among events at the same time, exactly where it
   * would have run had it been scheduled at the moment of the reservation (periodic events such as
   * samples are scheduled one at a time instead of all at the start).
   */
  reserveSeq(n: number): number {
    const first = this.seq;
    this.seq += n;
    return first;
  }

  /** Schedule `fn` at `time` under a sequence number obtained from `reserveSeq`. */
  postReserved(time: number, seq: number, fn: () => void): void {
    this.insert(this.allocSlot(), time < this.now ? this.now : Math.round(time), seq, fn);
  }

  /** Cancel a pending event; cancelling a fired or cancelled event is a no-op. */
  cancel(h: TimerHandle | null | undefined): void {
    if (!h || h.done) return;
    const timer = h as Timer;
    timer.done = true;
    if (this.size > CANCEL_SCAN_MAX) {
      // Dropped when it reaches the head; the handle itself is let go (it may be rearmed).
      this.cancelled[timer.slot] = 1;
      this.dead++;
      return;
    }
    const heap = this.heap;
    for (let i = this.size - 1; i >= 0; i--)
      if (heap[i] === timer.slot) {
        this.removeAt(i);
        return;
      }
  }

  /** Time of the next pending event, or Infinity. */
  peekTime(): number {
    if (this.laneLen > 0) return this.now;
    if (this.dead > 0) this.dropCancelled();
    return this.size > 0 ? this.times[this.heap[0]] : Number.POSITIVE_INFINITY;
  }

  /** Run every event with time <= `until`; leaves `now` at `until`. */
  runUntil(until: number): void {
    const w = this as { now: number };
    for (;;) {
      if (this.dead > 0) this.dropCancelled();
      if (this.laneLen > 0) {
        // The ring's events are due now: the heap's head goes first only if it is due now too
        // and was scheduled earlier.
        if (w.now > until) break;
        const i = this.laneHead;
        if (
          this.size === 0 ||
          this.times[this.heap[0]] !== w.now ||
          this.seqs[this.heap[0]] > this.laneSeqs[i]
        ) {
          const fn = this.laneFns[i]!;
          this.laneFns[i] = null;
          this.laneHead = (i + 1) & (this.laneSeqs.length - 1);
          this.laneLen--;
          this.executed++;
          fn();
          continue;
        }
      } else if (this.size === 0) break;
      const slot = this.heap[0];
      const t = this.times[slot];
      if (t > until) break;
      const fn = this.fns[slot]!;
      this.pop();
      w.now = t;
      this.executed++;
      fn();
    }
    if (until > w.now) w.now = until;
  }

  /** Scheduled events not yet run (cancelled ones included until they reach the head). */
  get pending(): number {
    return this.size + this.laneLen;
  }

  /** Pop the cancelled timers at the head of the heap. */
  private dropCancelled(): void {
    while (this.size > 0 && this.cancelled[this.heap[0]] === 1) {
      this.dead--;
      this.pop();
    }
  }

  private allocSlot(): number {
    if (this.freeTop > 0) return this.free[--this.freeTop];
    if (this.used === this.times.length) this.grow();
    return this.used++;
  }

  private grow(): void {
    const n = this.times.length * 2;
    const times = new Float64Array(n);
    times.set(this.times);
    this.times = times;
    const seqs = new Float64Array(n);
    seqs.set(this.seqs);
    this.seqs = seqs;
    const heap = new Int32Array(n);
    heap.set(this.heap);
    this.heap = heap;
    const free = new Int32Array(n);
    free.set(this.free);
    this.free = free;
    const cancelled = new Uint8Array(n);
    cancelled.set(this.cancelled);
    this.cancelled = cancelled;
    for (let i = this.fns.length; i < n; i++) this.fns.push(null);
  }

  private insert(slot: number, time: number, seq: number, fn: () => void): void {
    this.times[slot] = time;
    this.seqs[slot] = seq;
    this.fns[slot] = fn;
    const heap = this.heap;
    const times = this.times;
    const seqs = this.seqs;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const ps = heap[p];
      const pt = times[ps];
      if (pt < time || (pt === time && seqs[ps] < seq)) break;
      heap[i] = ps;
      i = p;
    }
    heap[i] = slot;
  }

  /** Remove the head of the heap and free its slot. */
  private pop(): void {
    this.removeAt(0);
  }

  /** Remove the heap entry at index `i` and free its slot. */
  private removeAt(i: number): void {
    const heap = this.heap;
    const top = heap[i];
    this.fns[top] = null;
    this.cancelled[top] = 0;
    this.free[this.freeTop++] = top;
    const n = --this.size;
    if (i === n) return;
    const last = heap[n];
    const times = this.times;
    const seqs = this.seqs;
    const lt = times[last];
    const ls = seqs[last];
    // Up first (only possible when i > 0: the last entry may be earlier than i's parent) ...
    while (i > 0) {
      const p = (i - 1) >> 1;
      const ps = heap[p];
      const pt = times[ps];
      if (pt < lt || (pt === lt && seqs[ps] < ls)) break;
      heap[i] = ps;
      i = p;
    }
    // ... then down.
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      let m = l;
      let mt = times[heap[l]];
      const r = l + 1;
      if (r < n) {
        const rt = times[heap[r]];
        if (rt < mt || (rt === mt && seqs[heap[r]] < seqs[heap[l]])) {
          m = r;
          mt = rt;
        }
      }
      const ms = heap[m];
      if (lt < mt || (lt === mt && ls < seqs[ms])) break;
      heap[i] = ms;
      i = m;
    }
    heap[i] = last;
  }
}
