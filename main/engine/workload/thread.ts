/**
 * A workload thread, as one fio job (numjobs replicas are separate threads): read / write / rw mix,
 * sequential or random offsets aligned to the block size inside its region, `iodepth` I/Os kept
 * outstanding (closed loop, with optional think time between a completion and the next submit),
 * or Poisson arrivals (open loop: each arrival is submitted at once, whatever is outstanding).
 */
import type { Rng } from '../core/rng';
import type { Simulator } from '../core/sim';
import type { IoUnit } from '../io/request';
import type { TracePlan } from './trace/thread';
import { newIoUnit } from './unit';

export interface ThreadPlan {
  /** Global thread index. */
  index: number;
  name: string;
  vm: number;
  pid: number;
  op: 'read' | 'write' | 'rw';
  rwmixRead: number;
  random: boolean;
  blockSectors: number;
  iodepth: number;
  thinkNs: number;
  /** Region in the thread's address space (guest sectors for VM threads, host sectors for native). */
  regionStart: number;
  regionSectors: number;
  poissonRateIops: number | null;
  startNs: number;
  stopNs: number;
  syncWrites: boolean;
  /** Set for a trace-replaying thread (workload/trace/thread.ts); the generator fields are unused then. */
  trace?: TracePlan;
}

export class WorkloadThread {
  private nextSeq: number;
  private outstanding = 0;
  /** Submit instants (ns) of the I/Os not completed yet, by unit id. */
  private readonly pendingSince = new Map<number, number>();
  private stopped = false;
  issued = 0;
  completed = 0;

  constructor(
    readonly plan: ThreadPlan,
    private readonly sim: Simulator,
    private readonly rng: Rng,
    private readonly newUnitId: () => number,
    private readonly submit: (u: IoUnit) => void,
  ) {
    this.nextSeq = plan.regionStart;
  }

  start(): void {
    const p = this.plan;
    if (p.startNs >= p.stopNs) return;
    this.sim.at(p.startNs, () => {
      if (p.poissonRateIops !== null) this.scheduleArrival();
      else for (let i = 0; i < p.iodepth; i++) this.issue();
    });
    this.sim.at(p.stopNs, () => {
      this.stopped = true;
    });
  }

  /** Called by the stack when one of this thread's I/Os completed. */
  onComplete(u: IoUnit): void {
    this.outstanding--;
    this.pendingSince.delete(u.id);
    this.completed++;
    if (this.plan.poissonRateIops !== null || this.stopped) return;
    if (this.plan.thinkNs > 0) this.sim.after(this.plan.thinkNs, () => this.issue());
    else this.issue();
  }

  get inFlight(): number {
    return this.outstanding;
  }

  /** Submit instant (ns) of the oldest I/O not completed yet, or null when none is. */
  oldestPendingNs(): number | null {
    let oldest: number | null = null;
    for (const t of this.pendingSince.values()) if (oldest === null || t < oldest) oldest = t;
    return oldest;
  }

  private scheduleArrival(): void {
    const gapNs = Math.max(1, Math.round(this.rng.exp(1e9 / this.plan.poissonRateIops!)));
    this.sim.after(gapNs, () => {
      if (this.stopped) return;
      this.issue();
      this.scheduleArrival();
    });
  }

  private issue(): void {
    if (this.stopped) return;
    const p = this.plan;
    const isRead = p.op === 'read' || (p.op === 'rw' && this.rng.next() * 100 < p.rwmixRead);
    let sector: number;
    const blocks = Math.max(1, Math.floor(p.regionSectors / p.blockSectors));
    if (p.random) sector = p.regionStart + this.rng.int(blocks) * p.blockSectors;
    else {
      if (this.nextSeq + p.blockSectors > p.regionStart + blocks * p.blockSectors)
        this.nextSeq = p.regionStart;
      sector = this.nextSeq;
      this.nextSeq += p.blockSectors;
    }
    const now = this.sim.now;
    const unit = newIoUnit(this.newUnitId(), p, isRead ? 'read' : 'write', sector, p.blockSectors, now);
    this.outstanding++;
    this.issued++;
    this.pendingSince.set(unit.id, now);
    this.submit(unit);
  }
}
