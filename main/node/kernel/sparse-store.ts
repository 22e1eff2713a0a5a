/**
 * The contents of the NBD disk: zeros except what was written, kept in 4 KiB chunks up to a cap
 * (writes beyond the cap are timed by the model but their data is dropped: the lab measures where
 * and when the disk works, not what it stores; the guest's workload never reads data back). A
 * preset region (the partition table) is always kept.
 */

const CHUNK = 4096;

export class SparseStore {
  private readonly chunks = new Map<number, Buffer>();
  /** Bytes of written data dropped because the cap was reached. */
  dropped = 0;

  constructor(
    readonly sizeBytes: number,
    private readonly capBytes = 256 * 1024 * 1024,
  ) {}

  /** Write `data` at byte `offset` (kept while under the cap, or when `always`). */
  write(offset: number, data: Buffer, always = false): void {
    let pos = 0;
    while (pos < data.length) {
      const at = offset + pos;
      const k = Math.floor(at / CHUNK);
      const inChunk = at - k * CHUNK;
      const n = Math.min(CHUNK - inChunk, data.length - pos);
      let c = this.chunks.get(k);
      if (!c) {
        if (!always && (this.chunks.size + 1) * CHUNK > this.capBytes) {
          this.dropped += n;
          pos += n;
          continue;
        }
        c = Buffer.alloc(CHUNK);
        this.chunks.set(k, c);
      }
      data.copy(c, inChunk, pos, pos + n);
      pos += n;
    }
  }

  /** Read `length` bytes at `offset`. */
  read(offset: number, length: number): Buffer {
    const out = Buffer.alloc(length);
    if (this.chunks.size === 0) return out;
    let pos = 0;
    while (pos < length) {
      const at = offset + pos;
      const k = Math.floor(at / CHUNK);
      const inChunk = at - k * CHUNK;
      const n = Math.min(CHUNK - inChunk, length - pos);
      const c = this.chunks.get(k);
      if (c) c.copy(out, pos, inChunk, inChunk + n);
      pos += n;
    }
    return out;
  }
}
