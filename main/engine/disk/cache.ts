/**
 * The drive's segmented read cache: `segments` segments of `capSectors` disk sectors each, each
 * holding one contiguous LBA range [start, end). Replacement is LRU. The read-ahead stream itself
 * (which segment it fills, how far it got) is driven by the HDD model.
 */
export class SegmentCache {
  readonly n: number;
  readonly capSectors: number;
  readonly start: Float64Array;
  readonly end: Float64Array;
  private readonly lastUse: Float64Array;
  private clock = 0;

  constructor(segments: number, capSectors: number) {
    this.n = segments;
    this.capSectors = Math.max(1, capSectors);
    this.start = new Float64Array(segments);
    this.end = new Float64Array(segments);
    this.lastUse = new Float64Array(segments);
  }

  /** Segment fully containing [a, b), or −1. */
  find(a: number, b: number): number {
    for (let i = 0; i < this.n; i++)
      if (this.start[i] <= a && b <= this.end[i] && this.end[i] > this.start[i]) return i;
    return -1;
  }

  /** Does segment i hold all of [a, b)? */
  holds(i: number, a: number, b: number): boolean {
    return this.start[i] <= a && b <= this.end[i] && this.end[i] > this.start[i];
  }

  touch(i: number): void {
    this.lastUse[i] = ++this.clock;
  }

  /** Drop every segment overlapping [a, b) except `keep`; returns true if `keep` overlaps. */
  invalidate(a: number, b: number, keep = -1): boolean {
    let hitKeep = false;
    for (let i = 0; i < this.n; i++) {
      if (this.start[i] < b && a < this.end[i]) {
        if (i === keep) hitKeep = true;
        else this.clear(i);
      }
    }
    return hitKeep;
  }

  clear(i: number): void {
    this.start[i] = 0;
    this.end[i] = 0;
    this.lastUse[i] = 0;
  }

  /**
   * `invalidate(a, b)` then `allocate()` in one pass over the segments (a read miss's new segment):
   * the same segment, since when segment i is compared, it and every segment before it are already
   * cleared if they overlap [a, b), and nothing after changes them.
   */
  replace(a: number, b: number): number {
    const start = this.start;
    const end = this.end;
    const lastUse = this.lastUse;
    if (start[0] < b && a < end[0]) this.clear(0);
    let best = 0;
    for (let i = 1; i < this.n; i++) {
      if (start[i] < b && a < end[i]) this.clear(i);
      if (lastUse[i] < lastUse[best]) best = i;
    }
    this.touch(best);
    return best;
  }

  /** Least recently used segment (empty ones first), marked used. */
  allocate(): number {
    let best = 0;
    for (let i = 1; i < this.n; i++) if (this.lastUse[i] < this.lastUse[best]) best = i;
    this.touch(best);
    return best;
  }
}
