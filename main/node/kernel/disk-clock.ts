/**
 * The engine's disk model driven in real time, request by request: the disk of the NBD server.
 *
 * A Simulator whose clock follows the wall clock (CLOCK_MONOTONIC since `start()`, integer ns)
 * holds the very same Disk the simulator uses (engine/disk: HddDisk / SsdDisk). A request is
 * submitted at the instant it arrived (the simulator is first run up to that instant); the disk
 * computes its service interval from its own state at dispatch (seek from the head's cylinder,
 * rotation from the platter angle, read-ahead cache, SPTF among queued requests with
 * queue_depth > 1) and schedules the completion event; a precise timer wakes when the event is due,
 * the simulator runs it and the request is answered. The model's time is therefore never ahead of
 * the wall clock; a late timer delays the answer (logged as `replyNs - endNs`) without changing the
 * model's timing of later requests.
 *
 * Up to the disk's queue_depth requests are in the device; more wait here in arrival order (the
 * guest's virtio queue depth is set to the disk's so that this queue stays empty; the log counts
 * any request that waited).
 */
import type { DiskModelSpec } from '../../common/spec/schema';
import { Simulator } from '../../engine/core/sim';
import { createDisk } from '../../engine/disk/index';
import type { Disk, ServiceInfo } from '../../engine/disk/types';
import type { BlockRequest, Op } from '../../engine/io/request';

/** One request as the disk saw it (times: ns since the clock's start). */
export interface DiskLogEntry {
  op: Op;
  /** Model sector (512 B) and length. */
  sector: number;
  sectors: number;
  /** Arrival at the server, start and end of service in the model, and when the answer went out. */
  arriveNs: number;
  startNs: number;
  endNs: number;
  replyNs: number;
  seekCyl: number;
  cacheHit: boolean;
  /** It waited in the server's queue because the device held queue_depth requests already. */
  queued: boolean;
}

/** Sleep until an instant of process.hrtime: a coarse setTimeout, then polling with setImmediate. */
export class PreciseTimer {
  private handle: NodeJS.Timeout | null = null;
  private imm: NodeJS.Immediate | null = null;
  private target = Number.POSITIVE_INFINITY;
  private fn: (() => void) | null = null;

  /** Below this much time left, poll instead of sleeping (setTimeout resolution is 1 ms). */
  static readonly SPIN_NS = 1_500_000;

  constructor(private readonly now: () => number) {}

  /** (Re)arm for `atNs` (clock ns); replaces any earlier arming. */
  arm(atNs: number, fn: () => void): void {
    this.cancel();
    this.target = atNs;
    this.fn = fn;
    this.tick();
  }

  cancel(): void {
    if (this.handle) clearTimeout(this.handle);
    if (this.imm) clearImmediate(this.imm);
    this.handle = null;
    this.imm = null;
    this.fn = null;
    this.target = Number.POSITIVE_INFINITY;
  }

  get armedFor(): number {
    return this.target;
  }

  private readonly tick = (): void => {
    this.handle = null;
    this.imm = null;
    const left = this.target - this.now();
    if (left <= 0) {
      const f = this.fn;
      this.fn = null;
      this.target = Number.POSITIVE_INFINITY;
      f?.();
    } else if (left > PreciseTimer.SPIN_NS)
      this.handle = setTimeout(this.tick, Math.floor((left - PreciseTimer.SPIN_NS) / 1e6));
    else this.imm = setImmediate(this.tick);
  };
}

interface Pending {
  rq: BlockRequest;
  arriveNs: number;
  queued: boolean;
  done: (e: DiskLogEntry) => void;
}

export class DiskClock {
  readonly disk: Disk;
  readonly log: DiskLogEntry[] = [];
  private readonly sim = new Simulator();
  private readonly waiting: Pending[] = [];
  private readonly inDevice = new Map<number, Pending>();
  private readonly timer: PreciseTimer;
  private t0 = process.hrtime.bigint();
  private nextId = 1;
  /** Keep log entries (false: only answer; for long idle phases such as the guest's boot). */
  logging = true;

  constructor(spec: DiskModelSpec) {
    this.disk = createDisk(spec, this.sim);
    this.disk.onComplete = (rq, info) => this.completed(rq, info);
    this.timer = new PreciseTimer(() => this.nowNs());
  }

  /** Wall-clock ns since the clock's start (the model's time axis). */
  nowNs(): number {
    return Number(process.hrtime.bigint() - this.t0);
  }

  /** The clock's origin (process.hrtime.bigint()), to relate the log to other hrtime instants. */
  get originHr(): bigint {
    return this.t0;
  }

  get capacitySectors(): number {
    return this.disk.capacitySectors;
  }

  /** Requests in the device or waiting for it. */
  get outstanding(): number {
    return this.inDevice.size + this.waiting.length;
  }

  /** Submit a request now; `done` is called when the model's service has ended (after the wait). */
  submit(op: Op, sector: number, sectors: number, done: (e: DiskLogEntry) => void): void {
    const now = this.nowNs();
    this.sim.runUntil(Math.max(now, this.sim.now));
    const id = this.nextId++;
    const rq: BlockRequest = {
      id,
      op,
      sync: true,
      sector,
      sectors,
      ctx: 1,
      group: 0,
      insertedAt: this.sim.now,
      units: [],
    };
    const p: Pending = { rq, arriveNs: this.sim.now, queued: false, done };
    if (this.disk.inFlight() < this.disk.queueDepth) {
      this.inDevice.set(id, p);
      this.disk.submit(rq);
    } else {
      p.queued = true;
      this.waiting.push(p);
    }
    this.arm();
  }

  /** Stop the timer (pending requests are never answered). */
  close(): void {
    this.timer.cancel();
    this.waiting.length = 0;
    this.inDevice.clear();
  }

  private completed(rq: BlockRequest, info: ServiceInfo): void {
    const p = this.inDevice.get(rq.id);
    if (!p) return;
    this.inDevice.delete(rq.id);
    const e: DiskLogEntry = {
      op: rq.op,
      sector: rq.sector,
      sectors: rq.sectors,
      arriveNs: p.arriveNs,
      startNs: info.startNs,
      endNs: info.endNs,
      replyNs: this.nowNs(),
      seekCyl: info.seekCyl,
      cacheHit: info.cacheHit,
      queued: p.queued,
    };
    if (this.logging) this.log.push(e);
    while (this.waiting.length > 0 && this.disk.inFlight() < this.disk.queueDepth) {
      const w = this.waiting.shift()!;
      this.inDevice.set(w.rq.id, w);
      this.disk.submit(w.rq);
    }
    p.done(e);
  }

  private arm(): void {
    const next = this.sim.peekTime();
    if (!Number.isFinite(next)) {
      this.timer.cancel();
      return;
    }
    if (next === this.timer.armedFor) return;
    this.timer.arm(next, () => {
      this.sim.runUntil(next);
      this.arm();
    });
  }
}
