/**
 * A trace workload thread: replays the records of a trace source (one process's records with
 * split_by pid, else the whole trace) instead of generating I/O.
 *
 * - open: each record arrives at its recorded time × time_scale after the thread starts, whatever
 *   is outstanding (arrivals are pulled one at a time, so a long trace never sits in memory);
 * - closed: `iodepth` records are outstanding; when one completes the next is issued after its
 *   recorded think time × time_scale (DiskSim's validate mode: the next request follows the
 *   previous completion by the traced interarrival).
 *
 * Requests outside the thread's space (the VM image for a guest thread, the disk for a native one)
 * after `lba_offset_sectors` are counted and then wrapped into the space (remap) or skipped (drop);
 * a request larger than the whole space is always dropped. Nothing is clipped silently.
 */
import type { TraceSummary } from '../../../common/result';
import type { Simulator } from '../../core/sim';
import type { IoUnit } from '../../io/request';
import type { ThreadPlan } from '../thread';
import { newIoUnit } from '../unit';
import type { TraceRecord, TraceSource } from './record';

export interface TracePlan {
  /** Spec path of the thread that declared the trace (`vms.0.threads.1`). */
  path: string;
  file: string;
  /** Process id this thread replays (split_by pid), or null for every record. */
  pid: number | null;
  mode: 'open' | 'closed';
  timeScale: number;
  offsetSectors: number;
  outOfRange: 'remap' | 'drop';
}

export class TraceThread {
  private outstanding = 0;
  private readonly pendingSince = new Map<number, number>();
  private stopped = false;
  private exhausted = false;
  issued = 0;
  completed = 0;
  private records = 0;
  private outside = 0;
  private remapped = 0;
  private dropped = 0;

  constructor(
    readonly plan: ThreadPlan & { trace: TracePlan },
    private readonly sim: Simulator,
    private readonly source: TraceSource,
    private readonly newUnitId: () => number,
    private readonly submit: (u: IoUnit) => void,
  ) {}

  start(): void {
    const p = this.plan;
    if (p.startNs >= p.stopNs) return;
    this.sim.at(p.startNs, () => {
      if (p.trace.mode === 'open') this.scheduleArrival();
      else for (let i = 0; i < p.iodepth; i++) this.issueAfterThink();
    });
    this.sim.at(p.stopNs, () => {
      this.stopped = true;
    });
  }

  onComplete(u: IoUnit): void {
    this.outstanding--;
    this.pendingSince.delete(u.id);
    this.completed++;
    if (this.plan.trace.mode === 'closed' && !this.stopped) this.issueAfterThink();
  }

  get inFlight(): number {
    return this.outstanding;
  }

  oldestPendingNs(): number | null {
    for (const t of this.pendingSince.values()) return t; // insertion order = submit order
    return null;
  }

  summary(vm: string | null): TraceSummary {
    return {
      thread: this.plan.name,
      vm,
      file: this.plan.trace.file,
      pid: this.plan.trace.pid,
      records: this.records,
      issued: this.issued,
      out_of_range: this.outside,
      remapped: this.remapped,
      dropped: this.dropped,
      exhausted: this.exhausted,
    };
  }

  /** The next record inside the space (remapped if asked), or null when the trace is exhausted. */
  private pull(): { r: TraceRecord; sector: number } | null {
    const t = this.plan.trace;
    const space = this.plan.regionSectors;
    for (;;) {
      if (this.exhausted) return null;
      const r = this.source.next();
      if (r === null) {
        this.exhausted = true;
        return null;
      }
      this.records++;
      let sector = r.sector + t.offsetSectors;
      if (sector >= 0 && sector + r.sectors <= space) return { r, sector };
      this.outside++;
      if (t.outOfRange === 'drop' || r.sectors > space) {
        this.dropped++;
        continue;
      }
      const span = space - r.sectors + 1;
      sector = ((sector % span) + span) % span;
      this.remapped++;
      return { r, sector };
    }
  }

  private scheduleArrival(): void {
    const next = this.pull();
    if (!next) return;
    const at = this.plan.startNs + Math.round(next.r.timeNs * this.plan.trace.timeScale);
    if (at >= this.plan.stopNs) return;
    this.sim.at(at, () => {
      if (this.stopped) return;
      this.issue(next.r, next.sector);
      this.scheduleArrival();
    });
  }

  private issueAfterThink(): void {
    const next = this.pull();
    if (!next) return;
    const think = Math.round(next.r.thinkNs * this.plan.trace.timeScale);
    if (think <= 0) this.issue(next.r, next.sector);
    else
      this.sim.after(think, () => {
        if (!this.stopped) this.issue(next.r, next.sector);
      });
  }

  private issue(r: TraceRecord, sector: number): void {
    const p = this.plan;
    const now = this.sim.now;
    const unit = newIoUnit(this.newUnitId(), p, r.op, p.regionStart + sector, r.sectors, now);
    this.outstanding++;
    this.issued++;
    this.pendingSince.set(unit.id, now);
    this.submit(unit);
  }
}
