/**
 * The host block layer: the host I/O scheduler in front of the disk. Requests arrive from Qemu
 * instances (under the host context their mapping chose) and from native processes. When the disk
 * completes a request, the scheduler is told first (it may arm an idle timer), then every
 * submission the request carried is completed upwards, as in Linux's completion path.
 */
import type { Simulator } from '../core/sim';
import type { Disk, ServiceInfo } from '../disk/types';
import { type BlockRequest, type HostSubmission, type IoUnit, newRequest, reuseRequest } from '../io/request';
import type { IoScheduler, SchedTrace, SchedulerEnv } from '../sched/types';
import { DispatchPath } from './dispatch-path';
import { type ContextRegistry, RequestQueue } from './request-queue';

export interface HostObserver {
  dispatched(rq: BlockRequest): void;
  /** A request finished at the device (before its units travel back up). */
  completed(rq: BlockRequest, info: ServiceInfo): void;
}

/**
 * The submission of one unit, reused: a native process's I/O goes to the host on its own, and its
 * submission returns to `spare` when it completes, so a run does not allocate a submission and a
 * completion closure per request. `done` completes the unit through `complete`.
 */
export class UnitSubmission implements HostSubmission {
  remaining = 0;
  unit: IoUnit | null = null;
  constructor(
    private readonly spare: UnitSubmission[],
    private readonly complete: (u: IoUnit) => void,
  ) {}
  readonly done = (): void => {
    const u = this.unit!;
    this.unit = null;
    this.spare.push(this);
    this.complete(u);
  };
}

export class HostBlockLayer {
  readonly queue: RequestQueue;
  private nextId = 1;

  constructor(
    private readonly sim: Simulator,
    readonly disk: Disk,
    registry: ContextRegistry,
    trace: SchedTrace,
    makeScheduler: (env: SchedulerEnv) => IoScheduler,
    private readonly observer: HostObserver,
    /** host.dispatch_latency_us in ns: see DispatchPath (0: straight to the disk). */
    dispatchLatencyNs = 0,
    /**
     * Reuse the request objects of completed requests for new ones (`request`): only when the
     * host scheduler and the disk keep no reference to a request once it completed (noop and cfq
     * drop theirs; the disks clear theirs before onComplete; DispatchPath lets go at the arrival).
     */
    private readonly reuseRequests = false,
  ) {
    this.queue = new RequestQueue({
      sim,
      device: dispatchLatencyNs > 0 ? new DispatchPath(sim, disk, dispatchLatencyNs) : disk,
      rotational: disk.rotational,
      registry,
      trace,
      makeScheduler,
      onDispatch: (rq) => {
        const now = sim.now;
        const units = rq.units; // indexed, as on the rest of the per-request path
        for (let i = 0; i < units.length; i++) units[i].tHostOut = now;
        observer.dispatched(rq);
      },
    });
    disk.onComplete = (rq, info) => this.completed(rq, info);
  }

  newId(): number {
    return this.nextId++;
  }

  /** Completed requests for reuse (`reuseRequests`). */
  private readonly spare: BlockRequest[] = [];

  /**
   * A new host request carrying (a copy of the list of) `units`, with a fresh id: a completed one
   * made new when `reuseRequests` allows, else a new object of the same shape.
   */
  request(
    op: BlockRequest['op'],
    sync: boolean,
    sector: number,
    sectors: number,
    ctx: number,
    group: number,
    units: readonly IoUnit[],
  ): BlockRequest {
    const rq = this.spare.pop();
    const now = this.sim.now;
    if (rq === undefined)
      return newRequest(this.nextId++, op, sync, sector, sectors, ctx, group, now, units.slice());
    const list = reuseRequest(rq, this.nextId++, op, sync, sector, sectors, ctx, group, now);
    for (let i = 0; i < units.length; i++) list.push(units[i]);
    return rq;
  }

  /**
   * `submitWith(request(u.op, u.sync, u.hostSector, u.sectors, ctx, 0, [u]), sub)` for the one unit
   * of a native process's I/O (host sector already set), without the one-element list and the two
   * loops over it: the same request fields, the same unit fields, then `queue.add`.
   */
  submitUnit(u: IoUnit, ctx: number, sub: HostSubmission): void {
    let rq = this.spare.pop();
    const now = this.sim.now;
    if (rq === undefined)
      rq = newRequest(this.nextId++, u.op, u.sync, u.hostSector, u.sectors, ctx, 0, now, [u]);
    else reuseRequest(rq, this.nextId++, u.op, u.sync, u.hostSector, u.sectors, ctx, 0, now).push(u);
    sub.remaining = 1;
    u.tHostIn = this.sim.now;
    u.hostCtx = ctx;
    u.hostSub = sub;
    this.queue.add(rq);
  }

  /** Submit a request for `units` (host sectors already set); `done` runs when all of them completed. */
  submit(rq: BlockRequest, done: () => void): void {
    this.submitWith(rq, { remaining: 0, done });
  }

  /** As `submit`, with the caller's submission object (`remaining` is set here): see UnitSubmission. */
  submitWith(rq: BlockRequest, sub: HostSubmission): void {
    const units = rq.units;
    sub.remaining = units.length;
    const now = this.sim.now;
    for (let i = 0; i < units.length; i++) {
      const u = units[i];
      u.tHostIn = now;
      u.hostCtx = rq.ctx;
      u.hostSub = sub;
    }
    this.queue.add(rq);
  }

  private completed(rq: BlockRequest, info: ServiceInfo): void {
    const now = this.sim.now;
    const units = rq.units;
    // Usually one submission finishes (no merge): no list needed.
    let first: HostSubmission | null = null;
    let more: HostSubmission[] | null = null;
    for (let i = 0; i < units.length; i++) {
      const u = units[i];
      u.tDone = now;
      u.cacheHit = info.cacheHit;
      const sub = u.hostSub;
      if (sub !== null) {
        u.hostSub = null;
        if (--sub.remaining === 0) {
          if (first === null) first = sub;
          else if (more === null) more = [sub];
          else more.push(sub);
        }
      }
    }
    this.observer.completed(rq, info);
    this.queue.complete(rq);
    if (first !== null) first.done();
    if (more !== null) for (const s of more) s.done();
    // Last: the submissions completed above may have issued new requests synchronously.
    if (this.reuseRequests) this.spare.push(rq);
  }
}
