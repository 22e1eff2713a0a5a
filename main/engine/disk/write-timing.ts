/**
 * When a write completes, timed as DiskSim 4.0 times it (src/disksim_diskctlr.c), and the drive's
 * write-back buffer ("Fast write level").
 *
 * - Write-through (level 0): `disk_write_arrive` takes the data on the bus after the write-miss
 *   command overhead and "Data preparation overhead"; at the end of the data
 *   `disk_buffer_transfer_size` returns −1 (NO_FASTWRITE), so the drive disconnects ("Write
 *   disconnect overhead", `disk_reconnection_or_transfer_complete`), writes the media, reconnects
 *   ("First reselect overhead", `disk_check_bus`) and completes ("Write completion overhead",
 *   `disk_request_complete`).
 * - Write-back (level 1 or 2): the write-hit command overheads, and `disk_buffer_transfer_size`
 *   returns 0 at the end of the data: the completion follows the transfer at once and the media
 *   write runs in the background (`disk_activate_write`). A request that needs the mechanism waits
 *   for it (`disk_check_hda`). A write arriving meanwhile is taken on the bus only when it appends
 *   to the buffered write (`disk_buffer_stopable_access`: BUFFER_APPEND, "Combine seq writes"; with
 *   level 1 only when no other request is queued); otherwise it disconnects after the command
 *   overhead and "Write disconnect overhead" and moves its data once the mechanism is free
 *   (reconnection: arbitration, first reselect, data preparation).
 * - Extra write disconnect (the HP C2240 family): a write following a non-sequential write
 *   (`disk_buffer_select_segment` in src/disksim_diskcache.c: the segment last used was written and
 *   the write does not start at its end) pays "Extradisc command overhead", disconnects after
 *   "Extradisc disconnect overhead", reconnects after the "inter-disconnect delay" for its data,
 *   disconnects after it with the "2nd disconnect overhead" and reconnects to complete with "Other
 *   reselect overhead"; its seek waits for the command overhead plus "Extradisc seek delta".
 *
 * Not modelled: a media write waiting for data still crossing the bus (the media write of an append
 * starts once all its data is buffered; any other starts after its positioning), the buffer space
 * limit of appends, read hits on buffered write data (a write invalidates cached copies).
 */
import type { HddSpec } from '../../common/spec/schema';
import { timeField } from '../core/time';
import type { BusTiming } from './bus';
import type { ControllerTiming } from './controller';

export class WriteTiming {
  /** DiskSim "Fast write level": 0 write-through, 1 limited, 2 full write-back. */
  readonly level: number;
  /** When the mechanism finishes writing buffered data (−∞ when nothing is buffered). */
  mediaEnd = Number.NEGATIVE_INFINITY;
  /** LBA right after the buffered write (its append point), −1 when none. */
  private nextLba = -1;
  /** LBA right after the last write served, −1 after a read (extra write disconnects). */
  private lastWriteEnd = -1;
  private readonly ctl: ControllerTiming;
  private readonly bus: BusTiming;
  private readonly legacyOvhNs: number;

  // the write being served (begin → end)
  private connected = true;
  private append = false;
  private extra = false;
  private tDrive = timeField(0);
  private tCmd = timeField(0);
  private busyEnd = Number.NEGATIVE_INFINITY;

  constructor(spec: HddSpec, ctl: ControllerTiming, bus: BusTiming) {
    this.level = spec.cache?.fast_write ?? 0;
    this.ctl = ctl;
    this.bus = bus;
    this.legacyOvhNs = spec.controller_overhead_ms * 1e6;
  }

  /** A read was served (from the buffer or the media): no append point, no write before the next one. */
  read(): void {
    this.nextLba = -1;
    this.lastWriteEnd = -1;
  }

  /**
   * A write of LBAs [a, b) dispatched at `t`; `tDrive`: the command is at the drive (after the
   * per-request overhead and arbitration); `tCmd`: its command overhead is done; `tMech`: the
   * mechanism is done with the read-ahead; `alone`: no other request waits in the drive.
   * Returns when its media access may start.
   */
  begin(
    a: number,
    b: number,
    t: number,
    tDrive: number,
    tCmd: number,
    tMech: number,
    alone: boolean,
  ): number {
    const busy = this.mediaEnd > t;
    this.busyEnd = this.mediaEnd;
    this.append = this.level > 0 && busy && a === this.nextLba && (this.level === 2 || alone);
    this.connected = !busy || this.append;
    const x = this.ctl.extra;
    this.extra = x !== null && this.connected && this.lastWriteEnd >= 0 && a !== this.lastWriteEnd;
    this.tDrive = tDrive;
    this.tCmd = tCmd;
    if (!this.bus.disksim) {
      const m = tMech + this.legacyOvhNs;
      return Math.max(this.busyEnd, m);
    }
    let start = this.extra ? tDrive + x!.commandNs + x!.seekDeltaNs : tCmd;
    if (tMech > start) start = tMech;
    if (this.busyEnd > start) start = this.busyEnd;
    if (this.append) {
      // the appended data goes to the media once it is in the buffer
      const xe = this.dataEnd(t, b - a);
      if (xe > start) start = xe;
    }
    return start;
  }

  /** When the last of the write's `n` sectors is in the drive's buffer (DiskSim timing). */
  private dataEnd(t: number, n: number): number {
    const c = this.ctl;
    const b = this.bus;
    let xs: number;
    if (!this.connected) {
      // disconnected until the mechanism is free, then reconnected for the data
      const d = Math.max(Math.max(t, this.tCmd) + c.writeDiscNs, this.busyEnd);
      xs = d + b.arbNs + c.reselectNs;
    } else if (this.extra) {
      const x = c.extra!;
      const tc = this.tDrive + x.commandNs;
      xs = Math.max(t, tc) + x.disconnectNs + x.interNs + b.arbNs + c.reselectNs;
    } else xs = Math.max(t, this.tCmd);
    return xs + c.dataPrepNs + n * b.writeSectorNs;
  }

  /**
   * The write of [a, b) dispatched at `t` whose media write ends at `tm`: when its completion
   * reaches the host. `bytes`: its size (legacy interface rate).
   */
  end(a: number, b: number, t: number, tm: number, bytes: number): number {
    this.lastWriteEnd = b;
    const c = this.ctl;
    let e: number;
    if (!this.bus.disksim) {
      // legacy timing with a write-back cache: the command overhead and the interface transfer
      const s = this.connected ? t : Math.max(t, this.busyEnd);
      e = s + this.legacyOvhNs + bytes * this.bus.nsPerByte;
    } else {
      const xe = this.dataEnd(t, b - a);
      if (this.level > 0) e = xe + c.completeNs(false);
      else if (this.extra) {
        const x = c.extra!;
        const d = xe + x.disconnect2Ns;
        e = Math.max(tm, d) + this.bus.arbNs + c.reselectOtherNs + c.completeNs(false);
      } else if (this.bus.holdWrite) e = Math.max(tm, xe) + c.completeNs(false);
      else {
        const d = xe + c.writeDiscNs;
        e = Math.max(tm, d) + this.bus.arbNs + c.reselectNs + c.completeNs(false);
      }
    }
    if (this.level > 0) {
      this.mediaEnd = tm;
      this.nextLba = b;
    }
    return e;
  }
}
