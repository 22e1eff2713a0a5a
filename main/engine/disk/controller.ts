/**
 * The drive controller's overheads, timed as DiskSim 4.0 times them (src/disksim_diskctlr.c):
 *
 * - `disk_event_arrive`: "Per-request overhead time" passes before the request is looked at.
 * - `disk_read_arrive` / `disk_write_arrive`: the command overhead, chosen by read hit or miss
 *   (write: miss, since writes are write-through here) and by `currdisk->lastflags`, the direction
 *   of the last request whose completion the drive sent (`disk_request_complete`; a read at start,
 *   src/disksim_disk.c). It runs from the request's arrival: `overhead_done = simtime + overhead`,
 *   and `disk_check_hda` delays the seek until `overhead_done`. A request that waited in the
 *   drive's queue (queue depth > 1) has therefore had its overhead overlapped with the service of
 *   the requests before it.
 * - `disk_request_complete`: the completion interrupt leaves after the read or write completion
 *   overhead.
 * - `disk_check_bus`: each reconnection pays "First reselect overhead", plus "Data preparation
 *   overhead" when data follows.
 *
 * Without an `overheads` block the one `controller_overhead_ms` precedes every access, as before.
 */
import type { HddSpec } from '../../common/spec/schema';

export class ControllerTiming {
  readonly perRequestNs: number;
  readonly reselectNs: number;
  readonly dataPrepNs: number;
  private readonly readHit: [number, number];
  private readonly readMiss: [number, number];
  private readonly writeMiss: [number, number];
  private readonly readCompleteNs: number;
  private readonly writeCompleteNs: number;

  constructor(spec: HddSpec) {
    const o = spec.overheads;
    const ms = (x: number) => x * 1e6;
    if (o) {
      this.perRequestNs = ms(o.per_request_ms);
      this.readHit = [ms(o.read_hit_after_read_ms), ms(o.read_hit_after_write_ms)];
      this.readMiss = [ms(o.read_miss_after_read_ms), ms(o.read_miss_after_write_ms)];
      this.writeMiss = [ms(o.write_miss_after_read_ms), ms(o.write_miss_after_write_ms)];
      this.readCompleteNs = ms(o.read_complete_ms);
      this.writeCompleteNs = ms(o.write_complete_ms);
      this.reselectNs = ms(o.reselect_ms);
      this.dataPrepNs = ms(o.data_prep_ms);
    } else {
      const c = ms(spec.controller_overhead_ms);
      this.perRequestNs = this.readCompleteNs = this.writeCompleteNs = 0;
      this.reselectNs = this.dataPrepNs = 0;
      this.readHit = this.readMiss = this.writeMiss = [c, c];
    }
  }

  /** Command overhead (ns) of a read hit, read miss or write, after a read or after a write. */
  commandNs(isRead: boolean, hit: boolean, afterWrite: boolean): number {
    const pair = isRead ? (hit ? this.readHit : this.readMiss) : this.writeMiss;
    return pair[afterWrite ? 1 : 0];
  }

  /** Completion overhead (ns) of a read or a write. */
  completeNs(isRead: boolean): number {
    return isRead ? this.readCompleteNs : this.writeCompleteNs;
  }
}
