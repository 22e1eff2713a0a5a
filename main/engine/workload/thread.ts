/**
 * A workload thread, as one fio job (numjobs replicas are separate threads): read / write / rw mix,
 * sequential or random offsets aligned to the block size inside its region, `iodepth` I/Os kept
 * outstanding (closed loop, with optional think time between a completion and the next submit),
 * or Poisson arrivals (open loop: each arrival is submitted at once, whatever is outstanding).
 */
import type { Rng } from '../core/rng';
import type { Simulator } from '../core/sim';
import { type IoUnit, newUnit, reuseUnit } from '../io/request';
import type { TracePlan } from './trace/thread';

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
  /** I/Os issued and not completed yet (each knows its index here: `liveSlot`). */
  private readonly live: IoUnit[] = [];
  /** Units of completed I/Os, for reuse (only with `reuseUnits`). */
  private readonly spare: IoUnit[] = [];
  private stopped = false;
  issued = 0;
  completed = 0;
  private readonly issueFn = (): void => this.issue();
  private readonly arrivalFn = (): void => {
    if (this.stopped) return;
    this.issue();
    this.scheduleArrival();
  };

  constructor(
    readonly plan: ThreadPlan,
    private readonly sim: Simulator,
    private readonly rng: Rng,
    private readonly newUnitId: () => number,
    private readonly submit: (u: IoUnit) => void,
    /** Reuse completed units for new I/Os (nobody outside the stack keeps a unit after completion). */
    private readonly reuseUnits = false,
  ) {
    this.nextSeq = plan.regionStart;
    this.blocks = Math.max(1, Math.floor(plan.regionSectors / plan.blockSectors));
  }

  /** Whole blocks in the region (offsets are block-aligned inside it). */
  private readonly blocks: number;

  start(): void {
    const p = this.plan;
    if (p.startNs >= p.stopNs) return;
    this.sim.postAt(p.startNs, () => {
      if (p.poissonRateIops !== null) this.scheduleArrival();
      else for (let i = 0; i < p.iodepth; i++) this.issue();
    });
    this.sim.postAt(p.stopNs, () => {
      this.stopped = true;
    });
  }

  /** Called by the stack when one of this thread's I/Os completed. */
  onComplete(u: IoUnit): void {
    const live = this.live;
    const last = live.pop()!;
    if (last !== u) {
      live[u.liveSlot] = last;
      last.liveSlot = u.liveSlot;
    }
    u.liveSlot = -1;
    if (this.reuseUnits) this.spare.push(u);
    this.completed++;
    if (this.plan.poissonRateIops !== null || this.stopped) return;
    if (this.plan.thinkNs > 0) this.sim.post(this.plan.thinkNs, this.issueFn);
    else this.issue();
  }

  get inFlight(): number {
    return this.live.length;
  }

  /** Submit instant (ns) of the oldest I/O not completed yet, or null when none is. */
  oldestPendingNs(): number | null {
    let oldest: number | null = null;
    for (const u of this.live) if (oldest === null || u.tSubmit < oldest) oldest = u.tSubmit;
    return oldest;
  }

  private scheduleArrival(): void {
    const gapNs = Math.max(1, Math.round(this.rng.exp(1e9 / this.plan.poissonRateIops!)));
    this.sim.post(gapNs, this.arrivalFn);
  }

  private issue(): void {
    if (this.stopped) return;
    const p = this.plan;
    const isRead = p.op === 'read' || (p.op === 'rw' && this.rng.next() * 100 < p.rwmixRead);
    let sector: number;
    const blocks = this.blocks;
    if (p.random) sector = p.regionStart + this.rng.int(blocks) * p.blockSectors;
    else {
      if (this.nextSeq + p.blockSectors > p.regionStart + blocks * p.blockSectors)
        this.nextSeq = p.regionStart;
      sector = this.nextSeq;
      this.nextSeq += p.blockSectors;
    }
    const op = isRead ? 'read' : 'write';
    const unit =
      this.spare.length > 0
        ? reuseUnit(
            this.spare.pop()!,
            this.newUnitId(),
            op,
            isRead || p.syncWrites,
            sector,
            p.blockSectors,
            this.sim.now,
          )
        : newUnit(
            this.newUnitId(),
            op,
            isRead || p.syncWrites,
            sector,
            p.blockSectors,
            p.index,
            p.pid,
            p.vm,
            this.sim.now,
          );
    unit.liveSlot = this.live.length;
    this.live.push(unit);
    this.issued++;
    this.submit(unit);
  }
}
