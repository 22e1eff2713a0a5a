/**
 * The host block layer: the host I/O scheduler in front of the disk. Requests arrive from Qemu
 * instances (under the host context their mapping chose) and from native processes. When the disk
 * completes a request, the scheduler is told first (it may arm an idle timer), then every
 * submission the request carried is completed upwards, as in Linux's completion path.
 */
import type { Simulator } from '../core/sim';
import type { Disk, ServiceInfo } from '../disk/types';
import type { BlockRequest } from '../io/request';
import type { IoScheduler, SchedTrace, SchedulerEnv } from '../sched/types';
import { type ContextRegistry, RequestQueue } from './request-queue';

interface Submission {
  remaining: number;
  done: () => void;
}

export interface HostObserver {
  dispatched(rq: BlockRequest): void;
  /** A request finished at the device (before its units travel back up). */
  completed(rq: BlockRequest, info: ServiceInfo): void;
}

export class HostBlockLayer {
  readonly queue: RequestQueue;
  private readonly pending = new Map<number, Submission>();
  private nextId = 1;

  constructor(
    private readonly sim: Simulator,
    readonly disk: Disk,
    registry: ContextRegistry,
    trace: SchedTrace,
    makeScheduler: (env: SchedulerEnv) => IoScheduler,
    private readonly observer: HostObserver,
  ) {
    this.queue = new RequestQueue({
      sim,
      device: disk,
      rotational: disk.rotational,
      registry,
      trace,
      makeScheduler,
      onDispatch: (rq) => {
        const now = sim.now;
        for (const u of rq.units) u.tHostOut = now;
        observer.dispatched(rq);
      },
    });
    disk.onComplete = (rq, info) => this.completed(rq, info);
  }

  newId(): number {
    return this.nextId++;
  }

  /** Submit a request for `units` (host sectors already set); `done` runs when all of them completed. */
  submit(rq: BlockRequest, done: () => void): void {
    const sub: Submission = { remaining: rq.units.length, done };
    const now = this.sim.now;
    for (const u of rq.units) {
      u.tHostIn = now;
      u.hostCtx = rq.ctx;
      this.pending.set(u.id, sub);
    }
    this.queue.add(rq);
  }

  private completed(rq: BlockRequest, info: ServiceInfo): void {
    const now = this.sim.now;
    const subs: Submission[] = [];
    for (const u of rq.units) {
      u.tDone = now;
      u.cacheHit = info.cacheHit;
      const sub = this.pending.get(u.id);
      if (sub) {
        this.pending.delete(u.id);
        if (--sub.remaining === 0) subs.push(sub);
      }
    }
    this.observer.completed(rq, info);
    this.queue.complete(rq);
    for (const s of subs) s.done();
  }
}
