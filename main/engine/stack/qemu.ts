/**
 * One Qemu instance: takes requests off its VM's virtio ring, spends the emulation overhead, and
 * issues each to the host block layer under the host context its mapping strategy decides:
 *
 *   vm         every request from the one Qemu context (Linux AIO from the main loop): one queue per VM
 *   pool       a pool of worker threads, each doing one synchronous request at a time; a request goes
 *              to a free worker chosen at random (seeded), or waits in Qemu until one is free
 *   vpid       the guest PID carried through virtio selects a host context per guest thread
 *   vpid-hash  guest PIDs hashed onto a bounded number of host contexts
 *   vpid-group as vpid, with the VM's contexts in one host group weighted by the VM's weight
 */
import type { Rng } from '../core/rng';
import type { Simulator } from '../core/sim';
import type { BlockRequest, HostSubmission } from '../io/request';
import type { HostBlockLayer } from './host';
import type { StackLayout, VmPlan } from './layout';

export class Qemu {
  private readonly freeWorkers: number[] = [];
  private readonly waiting: BlockRequest[] = [];
  private waitHead = 0;

  constructor(
    private readonly sim: Simulator,
    private readonly vm: VmPlan,
    layout: StackLayout,
    private readonly host: HostBlockLayer,
    private readonly overheadNs: number,
    private readonly rng: Rng,
    /** Completes a ring entry back in the guest. */
    private readonly completeInGuest: (rq: BlockRequest) => void,
  ) {
    if (vm.mapping === 'pool') this.freeWorkers.push(...vm.contexts);
    // vpid mappings: this VM's guest PIDs → host contexts, from the layout's (vm, pid) table.
    for (const ti of vm.threads) {
      const pid = layout.threads[ti].pid;
      const ctx = layout.vpidCtx.get(`${vm.index}:${pid}`);
      if (ctx !== undefined) this.vpidCtx.set(pid, ctx);
    }
  }

  /** Guest PID → host context (vpid, vpid-group). */
  private readonly vpidCtx = new Map<number, number>();

  /** Requests spending the emulation overhead, in arrival order (it is the same for all). */
  private readonly emulating: BlockRequest[] = [];
  private emulatingHead = 0;
  private readonly emulated = (): void => {
    const grq = this.emulating[this.emulatingHead++];
    if (this.emulatingHead === this.emulating.length) {
      // Emptied with pop, not `length = 0`, which drops the backing store (a new one at the next
      // push: one allocation per request at queue depth 1).
      const e = this.emulating;
      while (e.length > 0) e.pop();
      this.emulatingHead = 0;
    }
    this.issue(grq);
  };

  /** A request left the guest through the virtio ring. */
  receive(grq: BlockRequest): void {
    if (this.overheadNs > 0) {
      // Every request waits the same overhead, so they finish in arrival order.
      this.emulating.push(grq);
      this.sim.post(this.overheadNs, this.emulated);
    } else this.issue(grq);
  }

  /** The host context a guest request is issued from (pool: decided when a worker is free). */
  private contextFor(grq: BlockRequest): number {
    const vm = this.vm;
    const pid = grq.units[0].pid;
    switch (vm.mapping) {
      case 'vm':
        return vm.contexts[0];
      case 'vpid':
      case 'vpid-group':
        return this.vpidCtx.get(pid) ?? vm.contexts[0];
      case 'vpid-hash':
        return vm.contexts[hashPid(pid) % vm.contexts.length];
      case 'pool':
        return -1;
    }
  }

  private issue(grq: BlockRequest): void {
    if (this.vm.mapping === 'pool') {
      if (this.freeWorkers.length === 0) {
        this.waiting.push(grq);
        return;
      }
      const k = this.rng.int(this.freeWorkers.length);
      const worker = this.freeWorkers[k];
      this.freeWorkers[k] = this.freeWorkers[this.freeWorkers.length - 1];
      this.freeWorkers.pop();
      this.toHost(grq, worker, () => this.workerFree(worker));
      return;
    }
    this.toHost(grq, this.contextFor(grq), null);
  }

  private workerFree(worker: number): void {
    this.freeWorkers.push(worker);
    if (this.waitHead < this.waiting.length) {
      const next = this.waiting[this.waitHead++];
      if (this.waitHead > 256 && this.waitHead * 2 > this.waiting.length) {
        this.waiting.splice(0, this.waitHead);
        this.waitHead = 0;
      }
      this.issue(next);
    }
  }

  private toHost(grq: BlockRequest, ctx: number, then: (() => void) | null): void {
    const offset = this.vm.imageStart;
    const units = grq.units; // indexed, as on the rest of the per-request path
    for (let i = 0; i < units.length; i++) units[i].hostSector = units[i].sector + offset;
    const hrq = this.host.request(
      grq.op,
      grq.sync,
      grq.sector + offset,
      grq.sectors,
      ctx,
      this.vm.group,
      grq.units,
    );
    if (then === null) {
      // No worker to free: a reused submission object completes the ring entry (no closure and
      // submission object per request).
      const sub = this.spareSubs.pop() ?? new RingSubmission(this.spareSubs, this.completeInGuest);
      sub.grq = grq;
      this.host.submitWith(hrq, sub);
      return;
    }
    this.host.submit(hrq, () => {
      // Free the worker before the guest reacts, so a request the guest issues next finds it free.
      then();
      this.completeInGuest(grq);
    });
  }

  /** Host submissions of completed ring entries, for reuse. */
  private readonly spareSubs: RingSubmission[] = [];

  /** Requests waiting in Qemu for a free pool worker. */
  get waitingCount(): number {
    return this.waiting.length - this.waitHead;
  }
}

/**
 * The host submission of one ring entry, reused (as the host's UnitSubmission is for native
 * I/O): `done` returns it to `spare` and then completes the entry in the guest.
 */
class RingSubmission implements HostSubmission {
  remaining = 0;
  grq: BlockRequest | null = null;
  constructor(
    private readonly spare: RingSubmission[],
    private readonly completeInGuest: (rq: BlockRequest) => void,
  ) {}
  readonly done = (): void => {
    const grq = this.grq!;
    this.grq = null;
    this.spare.push(this);
    this.completeInGuest(grq);
  };
}

/** A small integer hash (Knuth's multiplicative) so neighbouring PIDs spread over the buckets. */
export function hashPid(pid: number): number {
  return (Math.imul(pid, 2654435761) >>> 0) >>> 16;
}
