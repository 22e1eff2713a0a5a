/**
 * Sorted containers shared by the deadline and anticipatory schedulers: a sorted array with binary
 * search (the kernel uses an rbtree; for the queue sizes the lab sees, < ~1000 requests, an array is
 * as fast), and `DirQueue`, one direction's sort list + FIFO + back-merge hash, as both elevators
 * keep per direction (deadline: READ/WRITE, AS: SYNC/ASYNC).
 */
import { type BlockRequest, DEFAULT_MAX_MERGE_SECTORS, endSector } from '../io/request';

/** A sorted array. Elements must not change their sort key while they are in the array. */
export class SortedArray<T> {
  private readonly a: T[] = [];
  constructor(private readonly cmp: (x: T, y: T) => number) {}

  get size(): number {
    return this.a.length;
  }
  /** First index whose element is not less than `x`. */
  private lowerBound(x: T): number {
    let lo = 0;
    let hi = this.a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cmp(this.a[mid], x) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  insert(x: T): void {
    let i = this.lowerBound(x);
    // Equal keys keep insertion order.
    while (i < this.a.length && this.cmp(this.a[i], x) === 0) i++;
    this.a.splice(i, 0, x);
  }
  indexOf(x: T): number {
    for (let i = this.lowerBound(x); i < this.a.length && this.cmp(this.a[i], x) === 0; i++)
      if (this.a[i] === x) return i;
    return -1;
  }
  remove(x: T): boolean {
    const i = this.indexOf(x);
    if (i < 0) return false;
    this.a.splice(i, 1);
    return true;
  }
  at(i: number): T | null {
    return i >= 0 && i < this.a.length ? this.a[i] : null;
  }
  first(): T | null {
    return this.a.length ? this.a[0] : null;
  }
  /** Successor of an element that is in the array. */
  next(x: T): T | null {
    const i = this.indexOf(x);
    return i >= 0 ? this.at(i + 1) : null;
  }
  /** Predecessor of an element that is in the array. */
  prev(x: T): T | null {
    const i = this.indexOf(x);
    return i > 0 ? this.a[i - 1] : null;
  }
  /** First element for which `key(e) >= k`, given `key` is monotone in the order. */
  search(key: (e: T) => number, k: number): T | null {
    let lo = 0;
    let hi = this.a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (key(this.a[mid]) < k) lo = mid + 1;
      else hi = mid;
    }
    return this.at(lo);
  }
  values(): readonly T[] {
    return this.a;
  }
}

/** Same direction and sync-ness, and the result within the request size limit (blk_rq_merge_ok). */
export const mergeable = (a: BlockRequest, b: BlockRequest): boolean =>
  a.op === b.op && a.sync === b.sync && a.sectors + b.sectors <= DEFAULT_MAX_MERGE_SECTORS;

interface FifoSlot {
  rq: BlockRequest;
  /** Deadline (ns). */
  time: number;
  /** Position among equal deadlines (insertion order; a merge survivor may take its victim's). */
  seq: number;
}

/**
 * One direction of an elevator: requests sorted by start sector (the rbtree), a FIFO ordered by
 * deadline, and a hash of end sectors for back merges (the block layer's elv_rqhash).
 */
export class DirQueue {
  readonly sort = new SortedArray<BlockRequest>((x, y) => x.sector - y.sector || x.id - y.id);
  private readonly fifo = new SortedArray<FifoSlot>((x, y) => x.time - y.time || x.seq - y.seq);
  private readonly slots = new Map<BlockRequest, FifoSlot>();
  private readonly byEnd = new Map<number, BlockRequest[]>();
  private seq = 0;

  get size(): number {
    return this.sort.size;
  }
  has(rq: BlockRequest): boolean {
    return this.slots.has(rq);
  }
  add(rq: BlockRequest, deadline: number): void {
    this.sort.insert(rq);
    const slot = { rq, time: deadline, seq: this.seq++ };
    this.slots.set(rq, slot);
    this.fifo.insert(slot);
    this.hashAdd(rq);
  }
  remove(rq: BlockRequest): void {
    this.sort.remove(rq);
    const slot = this.slots.get(rq);
    if (slot) this.fifo.remove(slot);
    this.slots.delete(rq);
    this.hashDel(rq);
  }
  /** Oldest request (FIFO head). */
  fifoHead(): BlockRequest | null {
    return this.fifo.first()?.rq ?? null;
  }
  deadline(rq: BlockRequest): number {
    return this.slots.get(rq)?.time ?? Number.POSITIVE_INFINITY;
  }
  /** `survivor` takes over `victim`'s FIFO position and deadline when the victim's is earlier. */
  inheritDeadline(survivor: BlockRequest, victim: BlockRequest): void {
    const s = this.slots.get(survivor);
    const v = this.slots.get(victim);
    if (!s || !v) return;
    if (v.time < s.time || (v.time === s.time && v.seq < s.seq)) {
      this.fifo.remove(s);
      s.time = v.time;
      s.seq = v.seq;
      this.fifo.insert(s);
    }
  }
  /** A queued request ending exactly at `sector` that `rq` may be appended to (back merge). */
  backMergeCandidate(rq: BlockRequest): BlockRequest | null {
    const l = this.byEnd.get(rq.sector);
    if (l !== undefined) for (let k = 0; k < l.length; k++) if (mergeable(l[k], rq)) return l[k];
    return null;
  }
  /** A queued request starting exactly where `rq` ends (front merge: elv_rb_find on the end sector). */
  frontMergeCandidate(rq: BlockRequest): BlockRequest | null {
    const end = endSector(rq);
    for (let c = this.sort.search((e) => e.sector, end); c && c.sector === end; c = this.sort.next(c))
      if (mergeable(c, rq)) return c;
    return null;
  }
  /** Append `rq`'s range and units to queued `target` (bio back merge); the end-sector hash follows. */
  backMerge(target: BlockRequest, rq: BlockRequest): void {
    this.hashDel(target);
    target.sectors += rq.sectors;
    target.units.push(...rq.units);
    this.hashAdd(target);
  }
  /** Prepend `rq` to queued `target` (bio front merge); `target` is re-sorted under its new start. */
  frontMerge(target: BlockRequest, rq: BlockRequest): void {
    this.sort.remove(target);
    target.sector = rq.sector;
    target.sectors += rq.sectors;
    target.units.unshift(...rq.units);
    this.sort.insert(target);
  }
  /**
   * Request-to-request merge (attempt_merge): `next` (queued, starting where `rq` ends) is absorbed
   * into `rq`, which inherits the earlier deadline. The caller removes `next` from its own
   * bookkeeping first (next_rq caches, counters); this removes it from the lists.
   */
  absorb(rq: BlockRequest, next: BlockRequest): void {
    this.inheritDeadline(rq, next);
    this.remove(next);
    this.hashDel(rq);
    rq.sectors += next.sectors;
    rq.units.push(...next.units);
    this.hashAdd(rq);
  }
  /** The request right after `rq` in sector order if it starts exactly at rq's end and may merge. */
  adjacentAfter(rq: BlockRequest): BlockRequest | null {
    const n = this.sort.next(rq);
    return n && n.sector === endSector(rq) && mergeable(rq, n) ? n : null;
  }
  /** The request right before `rq` in sector order if it ends exactly at rq's start and may merge. */
  adjacentBefore(rq: BlockRequest): BlockRequest | null {
    const p = this.sort.prev(rq);
    return p && endSector(p) === rq.sector && mergeable(p, rq) ? p : null;
  }

  /**
   * The block layer's bio-merge attempt (elv_merge): a back merge through the end-sector hash,
   * then, when enabled, a front merge; a request grown either way is then merged with the
   * neighbour it now touches (attempt_back_merge / attempt_front_merge) through `mergeRequests`,
   * the scheduler's own elevator_merge_req_fn. Returns true when `rq` was merged away.
   */
  mergeBio(
    rq: BlockRequest,
    frontMerges: boolean,
    mergeRequests: (q: DirQueue, survivor: BlockRequest, next: BlockRequest) => void,
  ): boolean {
    const back = this.backMergeCandidate(rq);
    if (back) {
      this.backMerge(back, rq);
      const after = this.adjacentAfter(back);
      if (after) mergeRequests(this, back, after);
      return true;
    }
    if (!frontMerges) return false;
    const front = this.frontMergeCandidate(rq);
    if (!front) return false;
    this.frontMerge(front, rq); // re-sorted under its new start
    const before = this.adjacentBefore(front);
    if (before) mergeRequests(this, before, front);
    return true;
  }

  private hashAdd(rq: BlockRequest): void {
    const e = endSector(rq);
    const l = this.byEnd.get(e);
    if (l) l.push(rq);
    else this.byEnd.set(e, [rq]);
  }
  private hashDel(rq: BlockRequest): void {
    const e = endSector(rq);
    const l = this.byEnd.get(e);
    if (!l) return;
    const i = l.indexOf(rq);
    if (i >= 0) l.splice(i, 1);
    if (!l.length) this.byEnd.delete(e);
  }
}

/** Per-context queued-request counter (queueLengths()). */
export class CtxCounts {
  readonly map = new Map<number, number>();
  inc(ctx: number): void {
    this.map.set(ctx, (this.map.get(ctx) ?? 0) + 1);
  }
  dec(ctx: number): void {
    const c = (this.map.get(ctx) ?? 1) - 1;
    if (c <= 0) this.map.delete(ctx);
    else this.map.set(ctx, c);
  }
}
