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
 *   overhead" when data follows; the last reconnection of a write with an extra disconnect pays
 *   "Other reselect overhead" instead.
 * - `disk_write_arrive` with "Fast write level" > 0: the write-hit command overheads.
 * - Disconnects (`disk_read_arrive`, `disk_reconnection_or_transfer_complete`): "Read disconnect
 *   afterread/afterwrite" (by `lastflags`) and "Write disconnect overhead" pass before the drive
 *   releases the bus, so before it may reconnect.
 * - Extra write disconnect (the HP C2240 family; flag set by `disk_buffer_select_segment`,
 *   src/disksim_diskcache.c): the extradisc overheads (write-timing.ts).
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
  private readonly writeHit: [number, number];
  private readonly readCompleteNs: number;
  private readonly writeCompleteNs: number;
  private readonly readDisc: [number, number];
  readonly writeDiscNs: number;
  readonly reselectOtherNs: number;
  /** Write-back (DiskSim "Fast write level" 1 or 2): writes pay the write-hit command overheads. */
  readonly fastWrite: boolean;
  /** DiskSim "Extra write disconnect" overheads (ns), or null. */
  readonly extra: {
    commandNs: number;
    disconnectNs: number;
    interNs: number;
    disconnect2Ns: number;
    seekDeltaNs: number;
  } | null;

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
      this.writeHit = [
        ms(o.write_hit_after_read_ms ?? o.write_miss_after_read_ms),
        ms(o.write_hit_after_write_ms ?? o.write_miss_after_write_ms),
      ];
      this.readDisc = [ms(o.read_disconnect_after_read_ms ?? 0), ms(o.read_disconnect_after_write_ms ?? 0)];
      this.writeDiscNs = ms(o.write_disconnect_ms ?? 0);
      this.reselectOtherNs = ms(o.reselect_other_ms ?? 0);
      const x = o.extra_write_disconnect;
      this.extra = x
        ? {
            commandNs: ms(x.command_ms),
            disconnectNs: ms(x.disconnect_ms),
            interNs: ms(x.inter_disconnect_ms),
            disconnect2Ns: ms(x.disconnect2_ms),
            seekDeltaNs: ms(x.seek_delta_ms),
          }
        : null;
    } else {
      const c = ms(spec.controller_overhead_ms);
      this.perRequestNs = this.readCompleteNs = this.writeCompleteNs = 0;
      this.reselectNs = this.dataPrepNs = 0;
      this.readHit = this.readMiss = this.writeMiss = this.writeHit = [c, c];
      this.readDisc = [0, 0];
      this.writeDiscNs = this.reselectOtherNs = 0;
      this.extra = null;
    }
    this.fastWrite = (spec.cache?.fast_write ?? 0) > 0;
  }

  /** Command overhead (ns) of a read hit, read miss or write, after a read or after a write. */
  commandNs(isRead: boolean, hit: boolean, afterWrite: boolean): number {
    const pair = isRead
      ? hit
        ? this.readHit
        : this.readMiss
      : this.fastWrite
        ? this.writeHit
        : this.writeMiss;
    return pair[afterWrite ? 1 : 0];
  }

  /** A read's disconnect overhead (ns), after a read or after a write. */
  readDisconnectNs(afterWrite: boolean): number {
    return this.readDisc[afterWrite ? 1 : 0];
  }

  /** Completion overhead (ns) of a read or a write. */
  completeNs(isRead: boolean): number {
    return isRead ? this.readCompleteNs : this.writeCompleteNs;
  }
}
