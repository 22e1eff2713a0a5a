/**
 * A guest's block layer: the guest I/O scheduler (contexts = guest PIDs) in front of the virtio
 * ring. A request occupies one ring entry from the moment the guest hands it to virtio until Qemu
 * reports its completion, so `virtio_queue_depth` bounds what one VM has outstanding.
 */
import type { Simulator } from '../core/sim';
import type { BlockRequest, IoUnit } from '../io/request';
import { type IoScheduler, NO_TRACE, type SchedContextInfo, type SchedulerEnv } from '../sched/types';
import { ContextRegistry, RequestQueue, type SlotDevice } from './request-queue';

export class GuestBlockLayer {
  readonly queue: RequestQueue;
  private ringInFlight = 0;
  private nextId = 1;

  constructor(
    private readonly sim: Simulator,
    ringDepth: number,
    makeScheduler: (env: SchedulerEnv) => IoScheduler,
    /** Hands a request that left the guest to Qemu. */
    toQemu: (rq: BlockRequest) => void,
    /** The guest threads' contexts (id = guest PID) with their I/O priority class and level. */
    contexts: readonly SchedContextInfo[] = [],
  ) {
    const ring: SlotDevice = {
      queueDepth: ringDepth,
      inFlight: () => this.ringInFlight,
      submit: (rq) => {
        this.ringInFlight++;
        const now = this.sim.now;
        for (const u of rq.units) u.tGuestOut = now;
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
    this.queue.add({
      id: this.nextId++,
      op: u.op,
      sync: u.sync,
      sector: u.sector,
      sectors: u.sectors,
      ctx: u.pid,
      group: 0,
      insertedAt: this.sim.now,
      units: [u],
    });
  }

  /** Qemu completed a ring entry. */
  complete(rq: BlockRequest): void {
    this.ringInFlight--;
    this.queue.complete(rq);
  }

  get outstanding(): number {
    return this.ringInFlight + this.queue.scheduler.queued();
  }
}
