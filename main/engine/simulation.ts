/**
 * One run of an experiment: builds the stack (workload threads → guest block layers → virtio →
 * Qemu mapping → host scheduler → disk) for a validated, matrix-free spec and advances it in
 * simulated time. Pure and synchronous: the same spec and seed give the same result, byte for
 * byte, whether it runs in a worker, the CLI or a test.
 *
 *   const sim = new Simulation(spec);
 *   while (!sim.done) render(sim.advance(sim.simTimeS + 1));
 *   const result = sim.result();
 */
import type { ActivityEvent, DispatchPoint, RunLayout, RunResult, Sample } from '../common/result';
import type { DiskModelSpec, Spec } from '../common/spec/schema';
import type { RunParams } from '../common/spec/validate';
import { Rng } from './core/rng';
import { Simulator } from './core/sim';
import { msToNs, sToNs, usToNs } from './core/time';
import { createDisk, resolveDiskSpec } from './disk/index';
import type { Disk } from './disk/types';
import type { BlockRequest, IoUnit } from './io/request';
import type { ActivityWindow } from './metrics/activity-window';
import { MetricsCollector } from './metrics/collector';
import { createScheduler } from './sched/index';
import { GuestBlockLayer } from './stack/guest';
import { HostBlockLayer, UnitSubmission } from './stack/host';
import { buildLayout, runLayout, type StackLayout } from './stack/layout';
import { Qemu } from './stack/qemu';
import { ContextRegistry } from './stack/request-queue';
import { WorkloadThread } from './workload/thread';
import type { TraceProvider } from './workload/trace/record';
import { TraceThread } from './workload/trace/thread';

/** What the host of a run (CLI, worker, session) hands in besides the spec. */
export interface SimulationEnv {
  /** Opens the trace files of trace workloads (the engine does no file I/O). */
  traces?: TraceProvider;
  /** Sees every I/O a workload submits and every completion (pvblk validate, --trace-out). */
  observer?: IoObserver;
  /** Keeps the scheduler's activity events of one window at full resolution instead of the run's bounded trace. */
  activityWindow?: ActivityWindow;
}

export interface IoObserver {
  submitted?(u: IoUnit): void;
  completed?(u: IoUnit): void;
}

export interface StepOutput {
  samples: Sample[];
  dispatch: DispatchPoint[];
  activity: ActivityEvent[];
}

/** The spec with its disk preset expanded (what a bundle stores as spec.json). */
export function resolveSpec(spec: Spec): Spec & { disk: DiskModelSpec } {
  return { ...spec, disk: resolveDiskSpec(spec.disk) };
}

export class Simulation {
  readonly layout: RunLayout;
  readonly durationS: number;
  private readonly sim = new Simulator();
  private readonly stack: StackLayout;
  private readonly disk: Disk;
  private readonly host: HostBlockLayer;
  private readonly metrics: MetricsCollector;
  private readonly threads: (WorkloadThread | TraceThread)[] = [];
  private readonly endNs: number;
  private finished: RunResult | null = null;

  constructor(
    private readonly spec: Spec,
    private readonly params: RunParams = {},
    env: SimulationEnv = {},
  ) {
    const diskSpec = resolveDiskSpec(spec.disk);
    this.durationS = spec.duration_s;
    this.endNs = sToNs(spec.duration_s);
    const sim = this.sim;
    this.stack = buildLayout(spec, diskSpec, env.traces);
    this.layout = runLayout(spec, this.stack);
    this.disk = createDisk(diskSpec, sim);
    const warmupNs = sToNs(spec.warmup_s);
    this.metrics = new MetricsCollector(
      this.stack,
      this.disk,
      warmupNs,
      sim,
      spec.trace_max_points,
      env.activityWindow,
    );

    const registry = new ContextRegistry();
    for (const g of this.stack.groups) registry.addGroup(g);
    for (const c of this.stack.contexts)
      registry.addContext({
        id: c.id,
        group: c.group,
        name: c.name,
        ioprio: c.ioprio,
        ioprioClass: c.ioprioClass,
      });
    this.host = new HostBlockLayer(
      sim,
      this.disk,
      registry,
      this.metrics,
      (env) => createScheduler(spec.host.scheduler, env, spec.host.params),
      this.metrics,
      usToNs(spec.host.dispatch_latency_us ?? 0),
      // noop and cfq drop every reference to a request when it completes: its object is reused.
      spec.host.scheduler === 'noop' || spec.host.scheduler === 'cfq',
    );

    let unitId = 1;
    const newUnitId = () => unitId++;
    const observer = env.observer;
    const complete = (u: IoUnit) => {
      this.metrics.unitDone(u);
      observer?.completed?.(u);
      this.threads[u.thread].onComplete(u);
    };

    const guests = this.stack.vms.map((vm, vi) => {
      const vmSpec = spec.vms[vi];
      let qemu: Qemu | null = null;
      const guest = new GuestBlockLayer(
        sim,
        vmSpec.virtio_queue_depth,
        (env) => createScheduler(vmSpec.guest_scheduler, env, vmSpec.guest_params),
        (rq) => qemu!.receive(rq),
        vm.guestContexts,
        // noop and cfq drop every reference to a request when it completes: its object is reused.
        vmSpec.guest_scheduler === 'noop' || vmSpec.guest_scheduler === 'cfq',
      );
      qemu = new Qemu(
        sim,
        vm,
        this.stack,
        this.host,
        usToNs(vmSpec.qemu_overhead_us),
        new Rng(spec.seed, `pool:${vm.name}`),
        (grq: BlockRequest) => {
          guest.complete(grq);
          const units = grq.units; // indexed (per request: no iterator)
          for (let i = 0; i < units.length; i++) complete(units[i]);
          // Only now: a completed unit's thread may have submitted its next I/O above.
          guest.release(grq);
        },
      );
      return guest;
    });

    for (const plan of this.stack.threads) {
      const vmName = plan.vm >= 0 ? this.stack.vms[plan.vm].name : 'native';
      const rng = new Rng(spec.seed, `thread:${vmName}/${plan.name}`);
      let submit: (u: IoUnit) => void;
      if (plan.vm >= 0) {
        const guest = guests[plan.vm];
        submit = (u) => guest.submit(u);
      } else {
        const ctx = this.stack.nativeCtx.get(plan.index)!;
        const spareSubs: UnitSubmission[] = [];
        submit = (u) => {
          u.tGuestOut = u.tSubmit;
          u.hostSector = u.sector;
          const sub = spareSubs.pop() ?? new UnitSubmission(spareSubs, complete);
          sub.unit = u;
          // through the host's request allocator: a completed request made new where the scheduler
          // keeps no reference to completed requests (noop, cfq), one pool for native and Qemu requests
          this.host.submitUnit(u, ctx, sub);
        };
      }
      const observed = observer?.submitted
        ? (u: IoUnit) => {
            observer.submitted!(u);
            submit(u);
          }
        : submit;
      const trace = plan.trace;
      this.threads.push(
        trace
          ? new TraceThread(
              { ...plan, trace },
              sim,
              env.traces!.open(trace.path, trace.pid),
              newUnitId,
              observed,
            )
          : new WorkloadThread(plan, sim, rng, newUnitId, observed, observer == null),
      );
    }
    for (const t of this.threads) t.start();

    if (warmupNs > 0) sim.at(warmupNs, () => this.metrics.warmupEnded());
    else this.metrics.warmupEnded();
    // Sample instants every interval before the end. They are scheduled one at a time (the heap
    // stays small), under sequence numbers reserved now, so each runs where it would have had all
    // been scheduled at the start.
    this.sampleInterval = Math.max(1, msToNs(spec.sample_interval_ms));
    const samples = Math.max(0, Math.ceil(this.endNs / this.sampleInterval) - 1);
    this.sampleSeq = sim.reserveSeq(samples);
    this.sampleSeqEnd = this.sampleSeq + samples;
    this.nextSampleAt = this.sampleInterval;
    this.scheduleSample();
  }

  private readonly sampleInterval: number;
  private sampleSeq: number;
  private readonly sampleSeqEnd: number;
  private nextSampleAt: number;
  private readonly onSampleTimer = (): void => {
    this.takeSample();
    this.nextSampleAt += this.sampleInterval;
    this.sampleSeq++;
    this.scheduleSample();
  };

  private scheduleSample(): void {
    if (this.sampleSeq < this.sampleSeqEnd && this.nextSampleAt < this.endNs)
      this.sim.postReserved(this.nextSampleAt, this.sampleSeq, this.onSampleTimer);
  }

  private takeSample(): void {
    const sched = this.host.queue.scheduler;
    this.metrics.sample(sched.queued(), sched.queueLengths());
  }

  get simTimeS(): number {
    return this.sim.now / 1e9;
  }

  get done(): boolean {
    return this.sim.now >= this.endNs;
  }

  /** Events executed so far (benchmarks). */
  get events(): number {
    return this.sim.executed;
  }

  /** Per thread: I/Os issued, completed and still outstanding (conservation checks). */
  accounting(): { issued: number; completed: number; outstanding: number }[] {
    return this.threads.map((t) => ({ issued: t.issued, completed: t.completed, outstanding: t.inFlight }));
  }

  /** Advance to `untilS` (capped at the duration); returns what was produced since the last call. */
  advance(untilS: number): StepOutput {
    const until = Math.min(this.endNs, sToNs(untilS));
    if (until > this.sim.now) {
      this.sim.runUntil(until);
      if (this.sim.now >= this.endNs && !this.finished) this.takeSample();
    }
    return {
      samples: this.metrics.drainSamples(),
      dispatch: this.metrics.dispatch.drain(),
      activity: this.metrics.activity.drain(),
    };
  }

  /** Run to the end (if needed) and return the run's result. */
  result(): RunResult {
    if (this.finished) return this.finished;
    if (!this.done) {
      // Nothing is streamed from here on: the collector keeps only what the result holds.
      this.metrics.stopStreaming();
      this.advance(this.durationS);
    }
    this.finished = this.resultNow();
    return this.finished;
  }

  /**
   * The result of the run so far, without running on (a run the user stopped): the summary
   * measures up to now, and `partial` says where the run stopped. Advancing a fresh Simulation of
   * the same spec to `partial.simulated_s` and asking again gives the same result.
   */
  partialResult(): RunResult {
    if (this.done) return this.result();
    return { ...this.resultNow(), partial: { simulated_s: this.simTimeS, duration_s: this.durationS } };
  }

  private resultNow(): RunResult {
    const now = this.sim.now;
    const summary = this.metrics.summary(this.spec.host.scheduler, (i) => {
      const t = this.threads[i];
      const oldest = t.oldestPendingNs();
      return { count: t.inFlight, oldestAgeNs: oldest === null ? 0 : now - oldest };
    });
    const traced = this.threads.filter((t): t is TraceThread => t instanceof TraceThread);
    if (traced.length > 0)
      summary.traces = traced.map((t) => t.summary(t.plan.vm >= 0 ? this.stack.vms[t.plan.vm].name : null));
    return {
      params: this.params,
      layout: this.layout,
      summary,
      timeseries: { samples: this.metrics.allSamples() },
      trace: {
        dispatch: this.metrics.dispatch.items,
        activity: this.metrics.activity.items,
        truncated: this.metrics.dispatch.truncated || this.metrics.activity.truncated,
      },
    };
  }
}

/** Run one matrix-free spec to completion. */
export function simulate(spec: Spec, params: RunParams = {}, env: SimulationEnv = {}): RunResult {
  return new Simulation(spec, params, env).result();
}
