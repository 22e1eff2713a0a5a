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
 */

export interface TimerHandle {
  /** Absolute time (ns) the event fires at. */
  readonly time: number;
  /** True once cancelled or fired. */
  readonly done: boolean;
}

class Timer implements TimerHandle {
  done = false;
  constructor(readonly time: number) {}
}

const INITIAL_SLOTS = 64;

export class Simulator {
  private times = new Float64Array(INITIAL_SLOTS);
  private seqs = new Float64Array(INITIAL_SLOTS);
  private fns: ((() => void) | null)[] = new Array(INITIAL_SLOTS).fill(null);
  private timers: (Timer | null)[] = new Array(INITIAL_SLOTS).fill(null);
  /** Heap of slot numbers ordered by (time, seq). */
  private heap = new Int32Array(INITIAL_SLOTS);
  private size = 0;
  /** Free slot numbers (a stack); slots below `used` that are not in the heap. */
  private free = new Int32Array(INITIAL_SLOTS);
  private freeTop = 0;
  private used = 0;
  private seq = 0;
  private _now = 0;
  /** Number of events executed so far (for benchmarks). */
  executed = 0;

  get now(): number {
    return this._now;
  }

  /** Schedule `fn` at absolute time `time` (ns, integer, >= now). */
  at(time: number, fn: () => void): TimerHandle {
    const t = time < this._now ? this._now : Math.round(time);
    const h = new Timer(t);
    this.insert(t, this.seq++, fn, h);
    return h;
  }

  /** Schedule `fn` after `delay` ns. */
  after(delay: number, fn: () => void): TimerHandle {
    return this.at(this._now + Math.max(delay, 0), fn);
  }

  /** As `at`, without a handle (cannot be cancelled; allocates nothing). */
  postAt(time: number, fn: () => void): void {
    this.insert(time < this._now ? this._now : Math.round(time), this.seq++, fn, null);
  }

  /** As `after`, without a handle (cannot be cancelled; allocates nothing). */
  post(delay: number, fn: () => void): void {
    this.postAt(this._now + Math.max(delay, 0), fn);
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
    this.insert(time < this._now ? this._now : Math.round(time), seq, fn, null);
  }

  /** Cancel a pending event; cancelling a fired or cancelled event is a no-op. */
  cancel(h: TimerHandle | null | undefined): void {
    if (h && !h.done) (h as Timer).done = true;
  }

  /** Time of the next pending event, or Infinity. */
  peekTime(): number {
    this.dropCancelled();
    return this.size > 0 ? this.times[this.heap[0]] : Number.POSITIVE_INFINITY;
  }

  /** Run every event with time <= `until`; leaves `now` at `until`. */
  runUntil(until: number): void {
    for (;;) {
      this.dropCancelled();
      if (this.size === 0) break;
      const slot = this.heap[0];
      const t = this.times[slot];
      if (t > until) break;
      const fn = this.fns[slot]!;
      const timer = this.timers[slot];
      this.pop();
      this._now = t;
      if (timer !== null) timer.done = true;
      this.executed++;
      fn();
    }
    if (until > this._now) this._now = until;
  }

  /** Scheduled events not yet run (cancelled ones included until they reach the head). */
  get pending(): number {
    return this.size;
  }

  private dropCancelled(): void {
    while (this.size > 0) {
      const timer = this.timers[this.heap[0]];
      if (timer === null || !timer.done) return;
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
    for (let i = this.fns.length; i < n; i++) {
      this.fns.push(null);
      this.timers.push(null);
    }
  }

  private insert(time: number, seq: number, fn: () => void, timer: Timer | null): void {
    const slot = this.allocSlot();
    this.times[slot] = time;
    this.seqs[slot] = seq;
    this.fns[slot] = fn;
    this.timers[slot] = timer;
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
    const heap = this.heap;
    const top = heap[0];
    this.fns[top] = null;
    this.timers[top] = null;
    this.free[this.freeTop++] = top;
    const n = --this.size;
    if (n === 0) return;
    const last = heap[n];
    const times = this.times;
    const seqs = this.seqs;
    const lt = times[last];
    const ls = seqs[last];
    let i = 0;
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
