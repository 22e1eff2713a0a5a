/**
 * The HDD model (DESIGN.md "Disk (HDD)"). One mechanism serves one request at a time; with
 * queue_depth > 1 the drive keeps the others and picks the next by shortest positioning time.
 *
 * Timing of a media access: controller overhead, then seek (or head switch), then rotational wait
 * computed from the platter's actual angle (angle(t) = (t mod rev) / rev, never random), then the
 * transfer track by track, paying head / cylinder switches and the rotational wait to each next
 * track's skewed first sector. Internal mechanism times are float ns; completions are scheduled at
 * the next integer ns.
 *
 * Read cache: after a media read the drive keeps reading ahead into the request's segment
 * (a "stream"). Progress of the stream is evaluated lazily, when the next request is dispatched,
 * from a checkpoint (next LBA, time, head position): no per-sector events. A read fully inside
 * cached data is a hit (overhead + bytes / interface rate). A read starting inside the stream's
 * window continues the stream (it completes when the stream has read its last sector). Any other
 * media request preempts the stream (once readahead_min_kb has been read). Writes are
 * write-through unless `cache.fast_write` (write-timing.ts: then a write completes once buffered and
 * its media write keeps the mechanism busy), and invalidate overlapping cached data.
 *
 * With `bus` or `overheads` in the spec, the controller and the bus are timed as in DiskSim 4.0
 * (controller.ts, bus.ts): the command overhead runs from the request's arrival and the seek waits
 * for it; read data crosses the bus per block once the watermark is buffered; completion overheads.
 * At queue depth > 1 the next media access starts when the previous one ends (or at the request's
 * arrival), while the previous request's data and completion still cross the bus.
 */
import type { HddSpec } from '../../common/spec/schema';
import type { Simulator } from '../core/sim';
import { timeField } from '../core/time';
import { type BlockRequest, SECTOR_BYTES } from '../io/request';
import { Modulus, remainder } from './angle';
import { BusTiming } from './bus';
import { SegmentCache } from './cache';
import { ControllerTiming } from './controller';
import { type Chs, Geometry } from './geometry';
import { makeSeekFn, type SeekFn } from './seek';
import { type Disk, type DiskStats, emptyDiskStats, type ServiceInfo, ServiceRecord } from './types';
import { WriteTiming } from './write-timing';

/** Tolerance (ns) when comparing a computed angle with a sector boundary. */
const ANGLE_EPS = 0.01;

export class HddDisk implements Disk {
  readonly kind = 'hdd' as const;
  readonly rotational = true;
  readonly queueDepth: number;
  readonly capacitySectors: number;
  onComplete: (rq: BlockRequest, info: ServiceInfo) => void = () => {};

  readonly geom: Geometry;
  readonly seekMs: SeekFn;
  private readonly sim: Simulator;
  /**
   * Seek time (ns) by integer distance when the disk is not huge; 0: not computed yet (the seek of a
   * distance >= 1 takes time; were it 0, it would only be computed again, to the same value).
   */
  private readonly seekTab: Float64Array | null;
  private readonly bytesPerSector: number;
  private readonly ovhNs: number;
  private readonly hsNs: number;
  private readonly busNsPerByte: number;
  /** DiskSim bus and controller timing (bus.ts, controller.ts) when the spec has `bus` or `overheads`. */
  private readonly bus: BusTiming;
  private readonly ctl: ControllerTiming;
  private readonly ds: boolean;
  /** Write completion and the write-back buffer (write-timing.ts). */
  private readonly wt: WriteTiming;
  /** End of the busy time counted so far (a buffered write keeps the mechanism busy past its completion). */
  private busyTo = timeField(0); // a double from the start (core/time.ts)
  /**
   * DiskSim timing at queue depth > 1 (`disk_release_hda`): the mechanism takes the next queued
   * request when its media access ends, while the bus still carries the previous request's data and
   * completion. `mechFree`: end of the last media access; `early`: when the dispatched request's
   * media access could start (+∞: at its dispatch).
   */
  private readonly overlap: boolean;
  private mechFree = Number.NEGATIVE_INFINITY;
  private early = Number.POSITIVE_INFINITY;
  /** Direction of the last request completed (DiskSim's `lastflags`): picks the "after write" overheads. */
  private lastWrite = false;
  /** First LBA of the request whose media pieces the bus records. */
  private recA = 0;
  /** The request being served: when it was dispatched, and when it arrived at the drive (ns). */
  private dT = timeField(0);
  private dArr = timeField(0);
  private readonly revNs: number;
  /** revNs for `remainder` (t % revNs without fmod). */
  private readonly revMod: Modulus;
  private readonly cache: SegmentCache | null;
  private readonly readahead: boolean;
  private readonly raMinSectors: number;

  // mechanism
  private cyl = 0;
  private head = 0;
  private busy = false;
  private readonly queue: BlockRequest[] = [];
  /** Per queued request: arrival time at the drive, and whether the last completion then was a write. */
  private readonly qArr: number[] = [];
  private readonly qAw: boolean[] = [];
  // Per queued request (parallel to `queue`, only with queue_depth > 1): disk LBA range, track and
  // the angular offset (ns within a revolution) of its first sector, computed once at submit.
  private readonly qA: number[] = [];
  private readonly qB: number[] = [];
  private readonly qCyl: number[] = [];
  private readonly qHead: number[] = [];
  private readonly qSlotNs: number[] = [];
  /** Whether the queued request was already checked against the whole cache (then only grown segments are re-checked). */
  private readonly qChecked: boolean[] = [];
  /** Segments whose cached range grew since the last SPTF pick (−1 entries unused); overflow forces full checks. */
  private readonly grown: number[] = [];
  private grownAll = false;
  private inflight = 0;
  /** Dispatches that bypassed the oldest queued request (SPTF aging guard). */
  private bypassed = 0;
  private readonly maxBypass: number;
  private curRq: BlockRequest | null = null;
  private curInfo: ServiceRecord | null = null;
  private readonly doneCb = (): void => this.finish();

  // read-ahead stream: checkpoint (sLba at sTime with the head on (sCyl, sHead)), window end sLimit
  private sSeg = -1;
  private sActive = false;
  /** Stream stopped because its segment filled up, and the head has not moved since. */
  private sResumable = false;
  private sLba = 0;
  private sTime = timeField(0);
  private sCyl = 0;
  private sHead = 0;
  private sLimit = 0;
  private sMinEnd = 0;
  /**
   * The time the stream was last settled to, while nothing else has moved it since (−1: none):
   * settling again to the same time walks the same sectors to the same checkpoint, so it is skipped
   * (a media read settles in `serve` and again when `preempt` stops the stream, at the same time).
   */
  private settledAt = timeField(-1);

  // walk() results (scratch, no allocation)
  private wLba = 0;
  private wTime = timeField(0);
  private wCyl = 0;
  private wHead = 0;
  /** walk() input: stop at the last whole sector finished by then. */
  private wUntil = timeField(0);
  private readonly chs: Chs = { zone: 0, cyl: 0, head: 0, sector: 0 };
  /** The LBA `chs` holds the location of (−1: none): `loc` of the same LBA again costs nothing. */
  private chsLba = -1;

  private readonly st: DiskStats = emptyDiskStats();

  constructor(spec: HddSpec, sim: Simulator) {
    this.sim = sim;
    this.queueDepth = spec.queue_depth;
    this.maxBypass = 4 * spec.queue_depth;
    this.seekMs = makeSeekFn(
      spec.seek,
      spec.zones.reduce((s, z) => s + z.cylinders, 0),
    );
    this.geom = new Geometry(spec, this.seekMs);
    // Filled on first use of each distance (seekNs): a run needs the distances its requests seek,
    // and computing all of them up front (120,000 for sata-7200) was most of the start-up cost
    const C = this.geom.cylinders;
    this.seekTab = C <= 1_000_000 ? new Float64Array(C) : null;
    this.bytesPerSector = spec.sector_bytes;
    this.capacitySectors = Math.floor((this.geom.totalSectors * spec.sector_bytes) / SECTOR_BYTES);
    this.ovhNs = spec.controller_overhead_ms * 1e6;
    this.hsNs = spec.head_switch_ms * 1e6;
    this.bus = new BusTiming(spec);
    this.ctl = new ControllerTiming(spec);
    this.ds = this.bus.disksim;
    this.wt = new WriteTiming(spec, this.ctl, this.bus);
    // DiskSim timing: what one reconnection of the drive to the host costs before data moves
    this.bus.reconnNs = this.bus.arbNs + this.ctl.reselectNs + this.ctl.dataPrepNs;
    this.overlap = this.ds && spec.queue_depth > 1;
    this.busNsPerByte = this.bus.nsPerByte;
    this.revNs = this.geom.revNs;
    this.revMod = new Modulus(this.revNs);
    const c = spec.cache;
    this.cache = c
      ? new SegmentCache(c.segments, Math.floor((c.segment_kb * 1024) / spec.sector_bytes))
      : null;
    this.readahead = c ? c.readahead : false;
    this.raMinSectors = c ? Math.ceil((c.readahead_min_kb * 1024) / spec.sector_bytes) : 0;
  }

  inFlight(): number {
    return this.inflight;
  }

  cylinderOf(sector: number): number {
    return this.geom.cylinderOfLba(Math.floor((sector * SECTOR_BYTES) / this.bytesPerSector));
  }

  stats(): DiskStats {
    return { ...this.st };
  }

  /** Current head position (for tests and views). */
  headPosition(): { cyl: number; head: number } {
    return this.sSeg >= 0 ? { cyl: this.sCyl, head: this.sHead } : { cyl: this.cyl, head: this.head };
  }

  submit(rq: BlockRequest): void {
    this.inflight++;
    if (!this.busy && this.queue.length === 0) {
      // An idle drive with nothing queued serves the request at once: what `dispatch` does for a
      // queue of one (it arrived now, no read-ahead stop to account, the mechanism starts at its
      // dispatch), without passing it through the queue's arrays (at queue depth 1, every request).
      this.bypassed = 0;
      this.early = Number.POSITIVE_INFINITY;
      this.dT = this.sim.now;
      this.dArr = this.dT;
      this.start(rq, this.lastWrite);
      return;
    }
    this.queue.push(rq);
    this.qArr.push(this.sim.now);
    this.qAw.push(this.lastWrite);
    if (this.queueDepth > 1) {
      const a = this.lbaRange(rq);
      const g = this.geom;
      const chs = this.loc(a);
      this.qA.push(a);
      this.qB.push(this.rb);
      this.qCyl.push(chs.cyl);
      this.qHead.push(chs.head);
      this.qChecked.push(false);
      this.qSlotNs.push(
        (g.slotOf(chs.zone, chs.cyl, chs.head, chs.sector) * this.revNs) / g.zones[chs.zone].spt,
      );
    }
    if (!this.busy) this.dispatch();
  }

  // ------------------------------------------------------------------ dispatch

  private dispatch(): void {
    const t = this.sim.now;
    // DiskSim at queue depth > 1: the read-ahead stopped when the media access ended with a request
    // waiting (qArr[0] is the earliest arrival), and the mechanism was free from then on
    let idle = Number.POSITIVE_INFINITY;
    if (this.overlap && this.mechFree < t) {
      const stop = Math.max(this.mechFree, this.qArr[0]);
      if (stop < t) {
        this.mechAt = stop;
        this.preempt();
        idle = this.mechAt;
      }
    }
    let idx = 0;
    if (this.queue.length > 1 && this.bypassed < this.maxBypass) idx = this.pickSptf(t);
    const rq = this.queue[idx];
    const arr = this.qArr[idx];
    const aw = this.qAw[idx];
    this.early = idle < t ? Math.max(idle, arr) : Number.POSITIVE_INFINITY;
    const only = this.queue.length === 1;
    if (only) {
      // pop, not shift: V8's shift of a one-element array drops the backing store (the next push
      // allocates a new one), a cost on every request at queue depth 1
      this.queue.pop();
      this.qArr.pop();
      this.qAw.pop();
      this.bypassed = 0;
    } else if (idx === 0) {
      this.queue.shift();
      this.qArr.shift();
      this.qAw.shift();
      this.bypassed = 0;
    } else {
      this.queue.splice(idx, 1);
      this.qArr.splice(idx, 1);
      this.qAw.splice(idx, 1);
      this.bypassed++;
    }
    if (this.queueDepth > 1 && only) {
      this.qA.pop();
      this.qB.pop();
      this.qCyl.pop();
      this.qHead.pop();
      this.qSlotNs.pop();
      this.qChecked.pop();
    } else if (this.queueDepth > 1) {
      this.qA.splice(idx, 1);
      this.qB.splice(idx, 1);
      this.qCyl.splice(idx, 1);
      this.qHead.splice(idx, 1);
      this.qSlotNs.splice(idx, 1);
      this.qChecked.splice(idx, 1);
    }
    this.dT = t;
    this.dArr = arr;
    this.start(rq, aw);
  }

  /**
   * Serve `rq` (taken off the queue) from dT; it arrived at the drive at dArr (fields, not
   * arguments: a double handed to a call V8 does not inline is a new heap number, one per request
   * here).
   */
  private start(rq: BlockRequest, aw: boolean): void {
    this.busy = true;
    const info = this.serve(rq, aw);
    this.curRq = rq;
    this.curInfo = info;
    // max by comparison: Math.max hands an integral result back as a small integer, and the
    // busy-time sum was compiled for small integers, then thrown away once times passed 2^31 ns.
    const s0 = info.startNs;
    const b0 = this.busyTo;
    // biome-ignore lint/complexity/useMathMinMax: see above (kept a double on purpose)
    const from = s0 > b0 ? s0 : b0;
    const m0 = this.wt.mediaEnd;
    const e0 = info.endNs;
    // biome-ignore lint/complexity/useMathMinMax: see above (kept a double on purpose)
    const to = m0 > e0 ? m0 : e0;
    if (to > from) this.st.busyNs += to - from;
    this.busyTo = to;
    this.sim.postAt(info.endNs, this.doneCb);
  }

  private finish(): void {
    const rq = this.curRq!;
    const info = this.curInfo!;
    this.curRq = null;
    this.curInfo = null;
    this.busy = false;
    this.inflight--;
    this.lastWrite = rq.op !== 'read';
    this.onComplete(rq, info);
    if (!this.busy && this.queue.length > 0) this.dispatch();
  }

  private lbaRange(rq: BlockRequest): number {
    // returns a; b stored in this.rb
    const bps = this.bytesPerSector;
    const total = this.geom.totalSectors;
    let a: number;
    let b: number;
    if (bps === SECTOR_BYTES) {
      // 512-byte disk sectors: x · 512 / 512 is x exactly (scaling by a power of two), so the
      // general formula below gives floor(sector) and ceil(sector + sectors): no divisions
      a = Math.floor(rq.sector);
      b = Math.ceil(rq.sector + rq.sectors);
    } else {
      a = Math.floor((rq.sector * SECTOR_BYTES) / bps);
      b = Math.ceil(((rq.sector + rq.sectors) * SECTOR_BYTES) / bps);
    }
    if (a >= total) a = total - 1;
    if (a < 0) a = 0;
    if (b > total) b = total;
    if (b <= a) b = a + 1;
    this.rb = b;
    return a;
  }
  private rb = 0;

  /**
   * Shortest positioning time first over the queue (ties: oldest first). Aging guard: once the oldest
   * request has been bypassed 4 × queue_depth times it is served next (firmware-style starvation bound).
   */
  private pickSptf(t: number): number {
    this.settle(t);
    const cache = this.cache;
    const streaming = this.sSeg >= 0;
    const cyl0 = streaming ? this.sCyl : this.cyl;
    const head0 = streaming ? this.sHead : this.head;
    const tpos = t + this.ovhNs;
    let best = 0;
    let bestCost = Number.POSITIVE_INFINITY;
    const n = this.queue.length;
    for (let i = 0; i < n; i++) {
      const a = this.qA[i];
      if (cache !== null && this.queue[i].op === 'read') {
        const b = this.qB[i];
        if (this.continues(a, b)) return this.pickDone(i);
        if (this.qChecked[i] && !this.grownAll) {
          for (let k = 0; k < this.grown.length; k++)
            if (cache.holds(this.grown[k], a, b)) return this.pickDone(i);
        } else {
          this.qChecked[i] = true;
          if (cache.find(a, b) >= 0) return this.pickDone(i);
        }
      }
      const pos = this.positionNs(this.qCyl[i], this.qHead[i], cyl0, head0);
      if (pos >= bestCost) continue;
      const cost = pos + this.rotWait(tpos + pos, this.qSlotNs[i]);
      if (cost < bestCost) {
        bestCost = cost;
        best = i;
      }
    }
    return this.pickDone(best);
  }

  private pickDone(i: number): number {
    // Requests before i have been checked against the cache as it is now; those after it have not.
    for (let j = i + 1; j < this.qChecked.length; j++) this.qChecked[j] = false;
    this.grown.length = 0;
    this.grownAll = false;
    return i;
  }

  /** Record that segment `seg`'s cached range grew (for the SPTF hit re-check). */
  private markGrown(seg: number): void {
    const g = this.grown;
    if (g.length > 0 && g[g.length - 1] === seg) return;
    if (g.length >= 4) this.grownAll = true;
    else g.push(seg);
  }

  // ------------------------------------------------------------------ mechanics

  /** `this.chs` set to the location of `lba` (Geometry.locate, remembered for the last LBA asked). */
  private loc(lba: number): Chs {
    if (lba !== this.chsLba) {
      this.geom.locate(lba, this.chs);
      this.chsLba = lba;
    }
    return this.chs;
  }

  private seekNs(d: number): number {
    const tab = this.seekTab;
    if (tab === null) return this.seekMs(d) * 1e6;
    const v = tab[d];
    return v !== 0 ? v : this.seekFill(d);
  }

  /** Compute and remember the seek time of distance d (the value the table holds from then on). */
  private seekFill(d: number): number {
    const v = this.seekMs(d) * 1e6;
    this.seekTab![d] = v;
    return v;
  }

  /** Seek (or head switch) time from (fromCyl, fromHead) to (cyl, head). */
  private positionNs(cyl: number, head: number, fromCyl: number, fromHead: number): number {
    if (cyl !== fromCyl) {
      const s = this.seekNs(Math.abs(cyl - fromCyl));
      return head !== fromHead && this.hsNs > s ? this.hsNs : s;
    }
    return head !== fromHead ? this.hsNs : 0;
  }

  /** Wait from time t until the platter angle reaches `slotNs` (offset within a revolution). */
  private rotWait(t: number, slotNs: number): number {
    const rev = this.revNs;
    let w = slotNs - remainder(t, this.revMod);
    if (w < 0) w += rev;
    if (w >= rev - ANGLE_EPS || w < ANGLE_EPS) return 0;
    return w;
  }

  /**
   * `rotWait` for the media path (serveMedia): the same steps, with the platter angle from
   * `Modulus.rem` (time and result in fields). serveMedia runs out of V8's inlining budget before
   * `remainder`, and a call of it boxes its argument and result into new heap numbers (two per
   * request); walk, where it is inlined, keeps the plain function.
   */
  private rotWaitMedia(t: number, slotNs: number): number {
    const rev = this.revNs;
    const mod = this.revMod;
    mod.t = t;
    mod.rem();
    let w = slotNs - mod.r;
    if (w < 0) w += rev;
    if (w >= rev - ANGLE_EPS || w < ANGLE_EPS) return 0;
    return w;
  }

  /**
   * Read/write LBAs [lba, endLba) sequentially starting at time t with the head at (cyl, head),
   * stopping early at the last whole sector finished by `until`, where (lba, t, cyl, head) is the
   * checkpoint in wLba, wTime, wCyl, wHead and `until` is wUntil. Leaves the new checkpoint in wLba,
   * wTime (when reading wLba can begin, head aligned), wCyl, wHead. `slot0` >= 0: `this.chs` already
   * holds `lba`'s location and slot0 its physical slot (the caller located it; not done twice).
   * The times come in fields, not as arguments: V8 hands a double to a call it does not inline as a
   * new heap number, and walk runs three times per request.
   */
  private walk(endLba: number, slot0: number): void {
    let lba = this.wLba;
    let t = this.wTime;
    let cyl = this.wCyl;
    let head = this.wHead;
    const until = this.wUntil;
    const g = this.geom;
    const chs = this.chs;
    if (lba < endLba && slot0 < 0) this.loc(lba);
    while (lba < endLba) {
      // here `chs` holds lba's location (located above, by the caller, or the track before's end)
      const z = g.zones[chs.zone];
      const pos = this.positionNs(chs.cyl, chs.head, cyl, head);
      let ts = t + pos;
      if (ts > until) break;
      const secNs = z.secNs;
      let slot = slot0;
      slot0 = -1;
      if (slot < 0) slot = g.slotOf(chs.zone, chs.cyl, chs.head, chs.sector);
      ts += this.rotWait(ts, slot * secNs);
      cyl = chs.cyl;
      head = chs.head;
      let k = z.spt - chs.sector;
      if (endLba - lba < k) k = endLba - lba;
      const te = ts + k * secNs;
      this.bus.piece(lba - this.recA, ts, k, secNs);
      if (te > until) {
        const done = until > ts ? Math.floor((until - ts) / secNs) : 0;
        this.wLba = lba + done;
        this.wTime = ts + done * secNs;
        this.wCyl = cyl;
        this.wHead = head;
        if (done > 0 && done < k) {
          // still on this track: the location of wLba, for the walk that resumes there
          chs.sector += done;
          this.chsLba = lba + done;
        }
        return;
      }
      t = te;
      lba += k;
      // chs follows lba (as locate would place it): the next track, or further on this one
      if (chs.sector + k < z.spt) chs.sector += k;
      else if (lba < g.totalSectors) {
        chs.sector = 0;
        if (++chs.head === g.heads) {
          chs.head = 0;
          chs.cyl++;
          if (chs.cyl === z.firstCyl + z.cylinders) chs.zone++;
        }
      } else {
        this.chsLba = -1; // past the last sector (locate would clamp): nothing remembered
        continue;
      }
      this.chsLba = lba;
    }
    this.wLba = lba;
    this.wTime = t;
    this.wCyl = cyl;
    this.wHead = head;
  }

  // ------------------------------------------------------------------ read-ahead stream

  /** `walk` from the stream's checkpoint to `endLba`, until `until`. */
  private walkStream(endLba: number, until: number): void {
    this.wLba = this.sLba;
    this.wTime = this.sTime;
    this.wCyl = this.sCyl;
    this.wHead = this.sHead;
    this.wUntil = until;
    this.walk(endLba, -1);
  }

  /** Advance the active stream to time t (lazy evaluation). */
  private settle(t: number): void {
    if (!this.sActive || t === this.settledAt) return;
    this.walkStream(this.sLimit, t);
    this.adoptWalk();
    if (this.sLba >= this.sLimit) {
      this.sActive = false;
      this.sResumable = true;
    }
    this.settledAt = t;
  }

  private adoptWalk(): void {
    this.settledAt = -1;
    this.sLba = this.wLba;
    this.sTime = this.wTime;
    this.sCyl = this.wCyl;
    this.sHead = this.wHead;
    const c = this.cache!;
    if (c.end[this.sSeg] < this.wLba) {
      c.end[this.sSeg] = this.wLba;
      this.markGrown(this.sSeg);
    }
  }

  /**
   * Stop the stream for a media request that wants the mechanism at `mechAt`; leaves in `mechAt`
   * when the mechanism is free (after readahead_min). The time is a field, not an argument and a
   * result, which V8 would box into heap numbers on every media request.
   */
  private preempt(): void {
    if (this.sSeg < 0) return;
    let t = this.mechAt;
    this.settle(t);
    if (this.sActive) {
      const minEnd = Math.min(this.sMinEnd, this.sLimit);
      if (this.sLba < minEnd) {
        this.walkStream(minEnd, Number.POSITIVE_INFINITY);
        this.adoptWalk();
        if (this.sTime > t) t = this.sTime;
      }
    }
    this.sActive = false;
    this.sResumable = false;
    this.cyl = this.sCyl;
    this.head = this.sHead;
    this.sSeg = -1;
    this.mechAt = t;
  }
  private mechAt = timeField(0);

  /** Does a read of [a, b) start inside the (active or resumable) stream's window? */
  private continues(a: number, b: number): boolean {
    if (this.sSeg < 0 || !this.readahead) return false;
    const c = this.cache!;
    if (a < c.start[this.sSeg]) return false;
    if (this.sActive) return a < this.sLimit || a <= c.end[this.sSeg];
    return this.sResumable && a <= c.end[this.sSeg] && b > c.end[this.sSeg];
  }

  /** Let the stream's window cover up to max(b, a + segment) (the segment works as a ring). */
  private extendStream(a: number, b: number, t: number): void {
    const c = this.cache!;
    const cap = c.capSectors;
    let lim = Math.max(a + cap, b);
    if (lim > this.geom.totalSectors) lim = this.geom.totalSectors;
    if (lim > this.sLimit) {
      this.settledAt = -1;
      if (!this.sActive) {
        if (!this.sResumable) return;
        this.sActive = true;
        this.sResumable = false;
        if (this.sTime < t) this.sTime = t;
      }
      this.sLimit = lim;
    }
    const s = lim - cap;
    if (s > c.start[this.sSeg]) c.start[this.sSeg] = Math.min(s, a);
    const me = b + this.raMinSectors;
    if (me > this.sMinEnd) this.sMinEnd = me;
  }

  // ------------------------------------------------------------------ service

  /**
   * DiskSim timing: when the command overhead of a request that arrived at `arr` is done
   * (per-request overhead, bus arbitration for the command, then the command overhead).
   */
  private commandDone(arr: number, isRead: boolean, hit: boolean, afterWrite: boolean): number {
    const c = this.ctl;
    return arr + c.perRequestNs + this.bus.arbNs + c.commandNs(isRead, hit, afterWrite);
  }

  /** Serve `rq`, dispatched at dT, arrived at the drive at dArr (`aw`: the last completion was a write). */
  private serve(rq: BlockRequest, aw: boolean): ServiceRecord {
    const t = this.dT;
    const st = this.st;
    const a = this.lbaRange(rq);
    const b = this.rb;
    const isRead = rq.op === 'read';
    const cache = this.cache;
    st.requests++;
    if (isRead) st.readRequests++;

    if (isRead) this.wt.read();
    if (cache !== null && isRead) {
      this.settle(t);
      const seg = cache.find(a, b);
      if (seg >= 0) return this.serveHit(rq, seg, a, b, aw);
      if (this.continues(a, b)) return this.serveContinue(rq, a, b, aw);
    }
    return this.serveMedia(rq, a, b, isRead, aw);
  }

  // The three ways of serving a request are separate methods, so that V8 can inline the small
  // helpers (rotWait, loc, slotOf...) of the media path, the common one, into it: one large
  // `serve` ran out of its inlining budget and paid calls (and boxed doubles) for them. They take
  // the dispatch and arrival times from dT and dArr (a double argument would be boxed).

  /** A read fully inside a cached segment. */
  private serveHit(rq: BlockRequest, seg: number, a: number, b: number, aw: boolean): ServiceRecord {
    const t = this.dT;
    const arr = this.dArr;
    const cache = this.cache!;
    cache.touch(seg);
    if (seg === this.sSeg && this.readahead) this.extendStream(a, b, t);
    this.st.cacheHits++;
    let xfer: number;
    let e: number;
    if (this.ds) {
      // disk_read_arrive, BUFFER_WHOLE: read-hit overhead, data preparation, the transfer, completion
      xfer = (b - a) * this.bus.readSectorNs;
      e = Math.max(t, this.commandDone(arr, true, true, aw)) + this.ctl.dataPrepNs + xfer;
      e += this.ctl.completeNs(true);
    } else {
      xfer = rq.sectors * SECTOR_BYTES * this.busNsPerByte;
      e = t + this.ovhNs + xfer;
    }
    const end = Math.ceil(e - 1e-6);
    return this.record().set(t, end, 0, 0, 0, xfer, 0, true);
  }

  /** A read starting inside the read-ahead stream's window: it completes when the stream has read it. */
  private serveContinue(rq: BlockRequest, a: number, b: number, aw: boolean): ServiceRecord {
    const t = this.dT;
    const arr = this.dArr;
    const cache = this.cache!;
    cache.touch(this.sSeg);
    this.extendStream(a, b, t);
    // a partial hit: the hit overhead when its first sector is already buffered
    const hit = this.sLba > a;
    if (this.ds) {
      this.recA = a;
      this.bus.record();
    }
    this.walkStream(b, Number.POSITIVE_INFINITY);
    this.bus.stop();
    this.adoptWalk();
    const tr = this.sTime;
    if (this.overlap) this.mechFree = tr;
    if (this.sLba >= this.sLimit) {
      this.sActive = false;
      this.sResumable = true;
    }
    let e: number;
    if (this.ds) {
      const tc = Math.max(t, this.commandDone(arr, true, hit, aw));
      this.bus.tCmd = tc;
      this.bus.discNs = 0;
      this.bus.readEnd(b - a);
      e = this.bus.readDone + this.ctl.completeNs(true);
    } else {
      e = t + this.ovhNs + rq.sectors * SECTOR_BYTES * this.busNsPerByte;
      if (tr > e) e = tr;
    }
    const end = Math.ceil(e - 1e-6);
    this.st.mediaRequests++;
    return this.record().set(t, end, 0, 0, 0, end - t, 0, false);
  }

  /** A media access: positioning, then the transfer (and, for a read, a new read-ahead stream). */
  private serveMedia(rq: BlockRequest, a: number, b: number, isRead: boolean, aw: boolean): ServiceRecord {
    const t = this.dT;
    const arr = this.dArr;
    const st = this.st;
    const cache = this.cache;
    const bytes = rq.sectors * SECTOR_BYTES;
    // media access
    // DiskSim: the seek waits for the command overhead, counted from the request's arrival
    // (disk_check_hda: overhead_done), and for the mechanism (read-ahead it must finish first).
    const tc = this.ds ? this.commandDone(arr, isRead, false, aw) : 0;
    this.mechAt = t;
    this.preempt();
    let tp = this.mechAt;
    if (this.early < tp) tp = this.early; // queue depth > 1: the seek began when the mechanism was free
    const wt = this.wt;
    const wtime = !isRead && (this.ds || wt.level > 0);
    let t0: number;
    if (wtime)
      t0 = wt.begin(a, b, t, arr + this.ctl.perRequestNs + this.bus.arbNs, tc, tp, this.queue.length === 0);
    else {
      if (wt.mediaEnd > tp) tp = wt.mediaEnd; // the mechanism is still writing buffered data
      t0 = this.ds ? Math.max(tp, tc) : tp + this.ovhNs;
    }
    if (cache !== null && !isRead) cache.invalidate(a, b);
    const g = this.geom;
    const chs = this.loc(a);
    const dist = Math.abs(chs.cyl - this.cyl);
    const pos = this.positionNs(chs.cyl, chs.head, this.cyl, this.head);
    const z = g.zones[chs.zone];
    const t1 = t0 + pos;
    const slot = g.slotOf(chs.zone, chs.cyl, chs.head, chs.sector);
    const rot = this.rotWaitMedia(t1, (slot * this.revNs) / z.spt);
    const t2 = t1 + rot;
    if (this.ds && isRead) {
      this.recA = a;
      this.bus.record();
    }
    this.wLba = a;
    this.wTime = t2;
    this.wCyl = chs.cyl;
    this.wHead = chs.head;
    this.wUntil = Number.POSITIVE_INFINITY;
    this.walk(b, slot);
    this.bus.stop();
    const tm = this.wTime;
    if (this.overlap) this.mechFree = tm;
    this.cyl = this.wCyl;
    this.head = this.wHead;
    let e: number;
    if (wtime) e = wt.end(a, b, t, tm, bytes);
    else if (!this.ds) {
      e = t2 + bytes * this.busNsPerByte;
      if (tm > e) e = tm;
    } else {
      // disk_read_arrive: a read miss disconnects after its command overhead (DISCONNECT cause)
      const disc = this.ctl.readDisconnectNs(aw);
      this.bus.tCmd = Math.max(t, tc) + disc;
      this.bus.discNs = disc;
      this.bus.readEnd(b - a);
      e = this.bus.readDone + this.ctl.completeNs(true);
    }
    const end = Math.ceil(e - 1e-6);
    st.mediaRequests++;
    st.seekCylSum += dist;
    if (dist > 0) st.seeks++;

    if (cache !== null && isRead) {
      const seg = cache.replace(a, b); // invalidate(a, b), then allocate()
      const cap = cache.capSectors;
      const s0 = Math.max(b - cap, a);
      cache.start[seg] = s0;
      cache.end[seg] = b;
      this.markGrown(seg);
      if (this.readahead && b < this.geom.totalSectors) {
        this.settledAt = -1;
        this.sSeg = seg;
        this.sLba = b;
        this.sTime = tm;
        this.sCyl = this.wCyl;
        this.sHead = this.wHead;
        const lim = s0 + cap;
        this.sLimit = Math.min(lim, this.geom.totalSectors);
        this.sMinEnd = b + this.raMinSectors;
        this.sActive = b < this.sLimit;
        this.sResumable = !this.sActive;
      }
    }
    return this.record().set(t, end, dist, pos, rot, e > t2 ? e - t2 : tm - t2, pos + rot + (tm - t2), false);
  }

  /**
   * The service record of the request being dispatched: two, used in turn, so the record handed to
   * `onComplete` stays intact while the completion dispatches the next request (one in service at a time).
   */
  private record(): ServiceRecord {
    this.recTurn = !this.recTurn;
    return this.recTurn ? this.rec1 : this.rec0;
  }
  private readonly rec0 = new ServiceRecord();
  private readonly rec1 = new ServiceRecord();
  private recTurn = false;
}
