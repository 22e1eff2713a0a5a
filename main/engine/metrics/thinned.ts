/** Keeps at most `cap` points by thinning evenly (drop every other point, double the stride). */
export class Thinned<T> {
  readonly items: T[] = [];
  private stride = 1;
  private seen = 0;
  truncated = false;
  private fresh: T[] = [];
  private streaming = true;
  constructor(private readonly cap: number) {}
  push(x: T): void {
    if (this.accept()) this.add(x);
  }

  /**
   * Count one point and say whether it is kept; the caller then builds it and passes it to `add`
   * (no object for the points thinned away).
   */
  accept(): boolean {
    if (this.cap === 0) {
      this.truncated = true;
      return false;
    }
    return this.seen++ % this.stride === 0;
  }

  /** Keep a point `accept` said to keep. */
  add(x: T): void {
    this.items.push(x);
    if (this.streaming) this.fresh.push(x);
    if (this.items.length >= this.cap) {
      this.truncated = true;
      let w = 0;
      for (let i = 0; i < this.items.length; i += 2) this.items[w++] = this.items[i];
      this.items.length = w;
      this.stride *= 2;
    }
  }
  /** Nobody calls `drain` from here on: stop keeping points for it. */
  stopStreaming(): void {
    this.streaming = false;
    this.fresh = [];
  }

  /** Points added since the last call (for streaming). */
  drain(): T[] {
    const f = this.fresh;
    this.fresh = [];
    return f;
  }
}
