/**
 * A guest's block layer: the guest I/O scheduler (contexts = guest PIDs) in front of the virtio
 * ring. A request occupies one ring entry from the moment the guest hands it to virtio until Qemu
 * reports its completion, so `virtio_queue_depth` bounds what one VM has outstanding.
 */
import type { Simulator } from '../core/sim';
import { type BlockRequest, type IoUnit, newRequest, reuseRequest } from '../io/request';
import { type IoScheduler, NO_TRACE, type SchedContextInfo, type SchedulerEnv } from '../sched/types';
import { ContextRegistry, RequestQueue, type SlotDevice } from './request-queue';

export class GuestBlockLayer {
  readonly queue: RequestQueue;
  private ringInFlight = 0;
  private nextId = 1;
  /** Released requests for reuse (`reuseRequests`). */
  private readonly spare: BlockRequest[] = [];

  constructor(
    private readonly sim: Simulator,
    ringDepth: number,
    makeScheduler: (env: SchedulerEnv) => IoScheduler,
    /** Hands a request that left the guest to Qemu. */
    toQemu: (rq: BlockRequest) => void,
    /** The guest threads' contexts (id = guest PID) with their I/O priority class and level. */
    contexts: readonly SchedContextInfo[] = [],
    /**
     * Reuse released requests (see `release`): only with a guest scheduler that keeps no
     * reference to a request once it completed (noop, cfq), since the object comes back as a new one.
     */
    private readonly reuseRequests = false,
  ) {
    const ring: SlotDevice = {
      queueDepth: ringDepth,
      inFlight: () => this.ringInFlight,
      submit: (rq) => {
        this.ringInFlight++;
        const now = this.sim.now;
        // Indexed loops on the per-request path: a for-of costs an iterator and its results until
        // the optimising compiler removes them (the start of every run).
        const units = rq.units;
        for (let i = 0; i < units.length; i++) units[i].tGuestOut = now;
        toQemu(rq);
      },
    };
    const registry = new ContextRegistry();
    for (const c of contexts) registry.addContext(c);
    // virtio-blk disks report themselves as rotational by default, so guest CFQ idles too.
    this.queue = new RequestQueue({
      sim,
      device: ring,
      rotational: true,
      registry,
      trace: NO_TRACE,
      makeScheduler,
    });
  }

  /** A guest thread submits an I/O. */
  submit(u: IoUnit): void {
    const rq = this.spare.pop();
    const now = this.sim.now;
    // a released request made new (noop, cfq), else a new one
    if (rq === undefined)
      this.queue.add(newRequest(this.nextId++, u.op, u.sync, u.sector, u.sectors, u.pid, 0, now, [u]));
    else {
      reuseRequest(rq, this.nextId++, u.op, u.sync, u.sector, u.sectors, u.pid, 0, now).push(u);
      this.queue.add(rq);
    }
  }

  /** Qemu completed a ring entry. */
  complete(rq: BlockRequest): void {
    this.ringInFlight--;
    this.queue.complete(rq);
  }

  /**
   * The stack is done with a completed ring entry (its units completed): with `reuseRequests`,
   * the next submit reuses it instead of allocating a request and its unit array.
   */
  release(rq: BlockRequest): void {
    if (this.reuseRequests) this.spare.push(rq);
  }

  get outstanding(): number {
    return this.ringInFlight + this.queue.scheduler.queued();
  }
}
