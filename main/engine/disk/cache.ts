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

  /** Least recently used segment (empty ones first), marked used. */
  allocate(): number {
    let best = 0;
    for (let i = 1; i < this.n; i++) if (this.lastUse[i] < this.lastUse[best]) best = i;
    this.touch(best);
    return best;
  }
}
