/**
 * The bus between the host and the drive, timed as DiskSim 4.0 times it.
 *
 * - Per-block transfer time: `disk_get_blktranstime` (src/disksim_diskctlr.c) takes the larger of
 *   the drive's bus block transfer time (`bus_get_transfer_time`, src/disksim_bus.c) and the
 *   drive's "Bulk sector transfer time"; with a pass-through controller (`controller_passthru_
 *   event_arrive`, src/disksim_ctlrdumb.c) a transfer of `bcount` blocks takes bcount × that
 *   (`io_catch_stray_events`, src/disksim_iosim.c).
 * - Arbitration: `bus_ownership_get` grants a free bus after `arbtime`; the drive pays it when the
 *   command reaches it and at each reconnection. One drive per bus here, so nobody else waits.
 * - Reads: the drive reconnects when `watermark` blocks of the request are in its buffer
 *   (`disk_request_needs_bus`: watermark = max(1, blocks × "High (read) water mark") with "Set
 *   watermark by reqsize"), moves every block that is in the buffer at that moment as one chunk,
 *   and at the end of a chunk either continues with what arrived meanwhile or, when the transfer
 *   has caught up with the media, waits for the next `watermark` blocks: holding the bus ("Hold bus
 *   entire read xfer", `disk_buffer_transfer_size` returns −2) or disconnecting and paying the
 *   reconnection again (−1).
 *
 * Without a `bus` block (and without `overheads`) a transfer runs at `interface_mbps`, pipelined with
 * the media as before (`nsPerByte`).
 */
import type { HddSpec } from '../../common/spec/schema';
import { timeField } from '../core/time';

export class BusTiming {
  /** True when the spec gives DiskSim timing (`bus` or `overheads`); false: the legacy interface rate. */
  readonly disksim: boolean;
  /** Legacy: ns per byte at `interface_mbps` (MB = 10^6 B). */
  readonly nsPerByte: number;
  /** ns per drive sector, host ← drive and host → drive. */
  readonly readSectorNs: number;
  readonly writeSectorNs: number;
  readonly arbNs: number;
  readonly watermark: number;
  readonly holdRead: boolean;
  readonly holdWrite: boolean;

  // Media pieces of the request being read (sector index from the request's first sector, time the
  // piece's first sector starts under the head, sectors in it, ns per sector). Sectors before the
  // first piece are already in the buffer.
  private recording = false;
  private np = 0;
  private readonly pIdx: number[] = [];
  private readonly pTs: number[] = [];
  private readonly pK: number[] = [];
  private readonly pSec: number[] = [];

  constructor(spec: HddSpec) {
    this.nsPerByte = 1e3 / spec.interface_mbps; // ns per byte = 1e9 / (mbps · 1e6)
    this.disksim = spec.bus !== undefined || spec.overheads !== undefined;
    const blocks = spec.sector_bytes / 512; // DiskSim counts 512-byte blocks
    const b = spec.bus;
    if (b) {
      this.readSectorNs = b.read_block_ms * 1e6 * blocks;
      this.writeSectorNs = b.write_block_ms * 1e6 * blocks;
      this.arbNs = b.arbitration_ms * 1e6;
      this.watermark = b.read_watermark;
      this.holdRead = b.hold_read;
      this.holdWrite = b.hold_write;
    } else {
      this.readSectorNs = this.writeSectorNs = this.nsPerByte * spec.sector_bytes;
      this.arbNs = 0;
      this.watermark = 0;
      this.holdRead = false;
      this.holdWrite = false;
    }
  }

  /** Start recording the media pieces of a read (walk() reports them through `piece`). */
  record(): void {
    this.recording = true;
    this.np = 0;
  }

  stop(): void {
    this.recording = false;
  }

  /** Sectors [idx, idx + k) of the request pass under the head from `ts`, `secNs` apart. */
  piece(idx: number, ts: number, k: number, secNs: number): void {
    if (!this.recording) return;
    if (idx < 0) {
      // sectors before the request (a read-ahead stream catching up to it) do not matter
      if (idx + k <= 0) return;
      ts -= idx * secNs;
      k += idx;
      idx = 0;
    }
    const i = this.np++;
    this.pIdx[i] = idx;
    this.pTs[i] = ts;
    this.pK[i] = k;
    this.pSec[i] = secNs;
  }

  /** When sector i of the request is in the drive's buffer (−∞ when it already was). */
  private readyAt(i: number): number {
    for (let p = this.np - 1; p >= 0; p--) {
      const idx = this.pIdx[p];
      if (i >= idx) return this.pTs[p] + (i - idx + 1) * this.pSec[p];
    }
    return Number.NEGATIVE_INFINITY;
  }

  /** How many of the request's first sectors are in the buffer at time t (at most n). */
  private readyBy(t: number, n: number): number {
    for (let p = this.np - 1; p >= 0; p--) {
      const ts = this.pTs[p];
      const sec = this.pSec[p];
      if (ts + sec <= t) {
        // min(k, floor((t − ts) / sec)) is k without the division when d = t − ts > fl((k + 1)·sec):
        // fl((k + 1)·sec) >= (k + 1)·sec·(1 − 2^−53), so the exact d / sec > k + 1 − (k + 1)·2^−53 >= k,
        // and the rounded quotient is >= k too (k is representable, rounding is monotonic). The piece
        // has fully passed under the head: a third of the calls, one division each.
        const d = t - ts;
        const k = this.pK[p];
        const c = this.pIdx[p] + (d > (k + 1) * sec ? k : Math.min(k, Math.floor(d / sec)));
        return Math.min(c, n);
      }
    }
    return this.np > 0 ? Math.min(this.pIdx[0], n) : n;
  }

  /** What one reconnection of the drive to the host costs before data moves (the drive sets it). */
  reconnNs = timeField(0);
  /** `readEnd` input: the command overhead is done and the drive has disconnected (it may not reconnect before). */
  tCmd = timeField(0);
  /**
   * `readEnd` input: what a disconnect between two pieces costs before the drive may reconnect
   * ("Read disconnect afterread / afterwrite", disk_reconnection_or_transfer_complete).
   * readEnd's times are fields, not arguments and a result: V8 passes a double to and from a call
   * it does not inline as a new heap number, and readEnd runs for every read.
   */
  discNs = timeField(0);
  /** `readEnd` result. */
  readDone = timeField(0);

  /**
   * When the last of the read's `n` sectors has crossed the bus (left in `readDone`), the command
   * done at `tCmd`, each reconnection costing `reconnNs` and each disconnect `discNs`.
   */
  readEnd(n: number): void {
    const tCmd = this.tCmd;
    const reconnNs = this.reconnNs;
    const discNs = this.discNs;
    const b = this.readSectorNs;
    let w = Math.floor(n * this.watermark);
    if (w < 1) w = 1;
    let out = 0;
    let t = this.readyAt(w - 1);
    if (t < tCmd) t = tCmd;
    t += reconnNs;
    for (;;) {
      let c = this.readyBy(t, n);
      if (c <= out) c = out + 1;
      t += (c - out) * b;
      out = c;
      if (out >= n) {
        this.readDone = t;
        return;
      }
      if (this.readyAt(out) > t) {
        const need = Math.min(w, n - out);
        const r = this.readyAt(out + need - 1);
        if (this.holdRead) {
          if (r > t) t = r;
        } else {
          const d = t + discNs;
          t = Math.max(r, d);
          t += reconnNs;
        }
      }
    }
  }
}
