/**
 * Runs experiments in worker threads (one worker per experiment) and fans their events out to
 * listeners as { runId, event }. The calling thread never runs the simulation.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EventEnvelope, KernelRunOptions, Pacing, RunEvent } from '../../common/api';
import type { ExperimentResult, RunLayout } from '../../common/result';
import type { Spec } from '../../common/spec/schema';
import { KernelRefusal } from '../kernel/errors';
import { NbdPortInUse } from '../kernel/nbd-server';
import { KERNEL_STAGE_FRACTION, KERNEL_STAGE_LABEL, type KernelStage } from '../kernel/stages';
import { RealRefusal, runReal } from '../real/index';
import { workerHeapMb } from '../worker-heap';
import { expandMatrix, Simulation } from './engine';
import type { SimWorkerData, ToWorker } from './protocol';

/** Heap limit of one simulation worker (the CLI pool's too: worker-heap.ts). */
const WORKER_HEAP_MB = workerHeapMb();

export interface SessionManagerOptions {
  /** Path of the built sim-worker.js; found next to the bundle by default. */
  workerPath?: string;
  /** Wall time between streamed batches (ms). */
  batchMs?: number;
  /** How long a stopped simulation may take to send its partial result before it is ended (ms). */
  stopGraceMs?: number;
  /**
   * Bytes of events still queued towards the slowest listener (the server's WebSocket buffers). A
   * simulation streams its next batch only once this is below BACKLOG_LIMIT_BYTES, so a client
   * slower than the simulation slows the run instead of filling this process's memory.
   */
  backlog?: () => number;
}

/** Queued event bytes (SessionManagerOptions.backlog) above which a simulation waits to stream on. */
export const BACKLOG_LIMIT_BYTES = 8 * 1024 * 1024;
/** How often a waiting simulation's backlog is looked at again (ms). */
const BACKLOG_POLL_MS = 25;

interface Session {
  /** The simulation's worker, or null for a real-disk run (its I/O runs in child processes). */
  worker: Worker | null;
  /** Cancels a real-disk run (its files are removed). */
  abort?: AbortController;
  finished: boolean;
  /** Stop was asked: the worker sends its partial result and 'stopped'. */
  stopping?: boolean;
}

/** What a measured backend's run (real disk, kernel) reports through (SessionManager.startMeasured). */
interface MeasuredHooks {
  signal: AbortSignal;
  /** Runs in the spec's matrix. */
  runs: number;
  emit(e: RunEvent): void;
  /** Sends run i's layout once: the measured one, or the simulator's. */
  announce(i: number, layout?: RunLayout): void;
  /** Progress of the experiment, 0..1, at measured time `t` (s) of run i. */
  progress(i: number, t: number): number;
}

export function defaultWorkerPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    join(here, 'sim-worker.js'),
    join(here, '..', 'sim-worker.js'),
    join(here, '..', '..', '..', 'out', 'main', 'sim-worker.js'),
  ];
  return candidates.find((p) => existsSync(p)) ?? candidates[0];
}

export class SessionManager {
  private readonly sessions = new Map<string, Session>();
  private readonly listeners = new Set<(e: EventEnvelope) => void>();
  private readonly workerPath: string;

  constructor(private readonly opts: SessionManagerOptions = {}) {
    this.workerPath = opts.workerPath ?? defaultWorkerPath();
  }

  onEvent(listener: (e: EventEnvelope) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(runId: string, raw: RunEvent): void {
    // The runs already went out in their run-done events (RunEvent 'done').
    const event: RunEvent =
      raw.type === 'done'
        ? { type: 'done', result: { ...raw.result, runs: [] } }
        : raw.type === 'stopped' && raw.result
          ? { type: 'stopped', result: { ...raw.result, runs: [] } }
          : raw;
    for (const l of this.listeners) {
      try {
        l({ runId, event });
      } catch {
        // A failing listener must not stop the others.
      }
    }
  }

  /** Starts an experiment; the spec must already have been validated by the caller. */
  start(spec: unknown, pacing: Pacing): string {
    const runId = randomUUID();
    const data: SimWorkerData = { spec, pacing, batchMs: this.opts.batchMs };
    // A heap cap per run: a spec the user allowed past the cost limits can still not take the machine.
    const worker = new Worker(this.workerPath, {
      workerData: data,
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    });
    const session: Session = { worker, finished: false };
    this.sessions.set(runId, session);
    const finish = () => {
      if (session.finished) return;
      session.finished = true;
      this.sessions.delete(runId);
      void worker.terminate();
    };
    // Flow control (sim-worker.ts): each 'samples' batch is acknowledged once it has gone out to
    // the listeners and their backlog is small again; the worker sends nothing more until then.
    const ack = () => {
      if (session.finished) return;
      const backlog = this.opts.backlog?.() ?? 0;
      if (backlog > BACKLOG_LIMIT_BYTES) setTimeout(ack, BACKLOG_POLL_MS).unref();
      else worker.postMessage({ type: 'ack' } satisfies ToWorker);
    };
    worker.on('message', (event: RunEvent) => {
      if (session.finished) return;
      this.emit(runId, event);
      if (event.type === 'done' || event.type === 'error' || event.type === 'stopped') finish();
      else if (event.type === 'samples') ack();
    });
    worker.on('error', (err: Error & { code?: string }) => {
      if (session.finished) return;
      const message =
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `the simulation ran out of memory (its limit is ${WORKER_HEAP_MB} MiB); shorten the run, raise sample_interval_ms or lower trace_max_points`
          : err.message;
      this.emit(runId, { type: 'error', message });
      finish();
    });
    worker.on('exit', (code) => {
      if (session.finished) return;
      this.emit(runId, { type: 'error', message: `simulation worker exited (code ${code})` });
      finish();
    });
    return runId;
  }

  /**
   * Starts a run of a measured backend (real disk, kernel) in this process: `run` does the work
   * and reports through the hooks (layouts, events); its result goes out as 'done', its failure as
   * 'error' (`refusal` when the user can act on it: shown inline). Stop aborts `signal`.
   */
  private startMeasured(
    spec: Spec,
    run: (m: MeasuredHooks) => Promise<ExperimentResult>,
    isRefusal: (e: Error) => boolean,
  ): string {
    const runId = randomUUID();
    const abort = new AbortController();
    const session: Session = { worker: null, abort, finished: false };
    this.sessions.set(runId, session);
    const runs = expandMatrix(spec);
    const totalS = runs.reduce((a, r) => a + r.spec.duration_s, 0) || 1;
    const before = runs.map((_, i) => runs.slice(0, i).reduce((a, r) => a + r.spec.duration_s, 0));
    const announced = new Set<number>();
    const emit = (e: RunEvent) => {
      if (!session.finished) this.emit(runId, e);
    };
    const hooks: MeasuredHooks = {
      signal: abort.signal,
      runs: runs.length,
      emit,
      announce: (i, measured) => {
        if (announced.has(i) || session.finished) return;
        announced.add(i);
        const r = runs[i];
        // The measured run's layout (the simulator's VMs, threads and contexts, with the files'
        // real placement on the device); the simulator's if the run did not get that far.
        const layout = measured ?? new Simulation(r.spec, r.params).layout;
        emit({ type: 'layout', runIndex: i, runs: runs.length, params: r.params, layout });
      },
      progress: (i, t) => Math.min(1, (before[i] + t) / totalS),
    };
    void run(hooks)
      .then((result) => {
        emit({ type: 'done', result });
      })
      .catch((err: unknown) => {
        const e = err instanceof Error ? err : new Error(String(err));
        if (e.name === 'AbortError') return;
        emit({ type: 'error', message: e.message, refusal: isRefusal(e) });
      })
      .finally(() => {
        session.finished = true;
        this.sessions.delete(runId);
      });
    return runId;
  }

  /**
   * Starts a real-disk run of a validated spec: runReal in this process (the VMs are child
   * processes, their I/O contexts OS threads), streaming the simulator's events. Stop aborts it.
   */
  startReal(spec: Spec, real: { dir: string; sizeGb: number }): string {
    return this.startMeasured(
      spec,
      (m) =>
        runReal(spec, {
          dir: real.dir,
          sizeGb: real.sizeGb,
          signal: m.signal,
          onStarted: (i, _processes, layout) => m.announce(i, layout),
          onSamples: (i, samples, dispatch) => {
            m.announce(i);
            const t = samples.length ? samples[samples.length - 1].t : 0;
            m.emit({
              type: 'samples',
              runIndex: i,
              samples,
              dispatch,
              activity: [],
              simTimeS: t,
              progress: m.progress(i, t),
            });
          },
          onRunDone: (i, _total, result) => {
            m.announce(i);
            m.emit({ type: 'run-done', runIndex: i, result });
          },
        }),
      (e) => e instanceof RealRefusal || e.name === 'RealRefusal',
    );
  }

  /**
   * Starts a kernel run of a validated spec (runKernel: Linux in QEMU on the lab's disk model,
   * main/node/kernel), reporting its stages ('stage' events, with the log line) and each run's
   * kernel result with its comparison simulation ('run-done' with `sim`). Stop aborts it: the
   * guest and the NBD server are stopped (Qemu's wrapper also ends it if this process dies).
   */
  startKernel(spec: Spec, opts: KernelRunOptions): string {
    let stage: { run: number; stage: KernelStage } = { run: 0, stage: 'kernel-package' };
    return this.startMeasured(
      spec,
      async (m) => {
        const { runKernel } = await import('../kernel/run');
        const say = (log?: string) =>
          m.emit({
            type: 'stage',
            runIndex: stage.run,
            stage: stage.stage,
            message: KERNEL_STAGE_LABEL[stage.stage],
            progress: (stage.run + KERNEL_STAGE_FRACTION[stage.stage]) / m.runs,
            ...(log?.trim() ? { log: log.trim() } : {}),
          });
        const { sim: _sim, ...result } = await runKernel(spec, {
          ...opts,
          signal: m.signal,
          onProgress: say,
          onStage: (run, s) => {
            stage = { run, stage: s };
            m.announce(run);
            say();
          },
          onRunDone: (i, result, sim) => {
            m.announce(i);
            m.emit({ type: 'run-done', runIndex: i, result, sim });
          },
        });
        return result;
      },
      (e) => e instanceof KernelRefusal || e instanceof NbdPortInUse,
    );
  }

  private send(runId: string, msg: ToWorker): Session {
    const s = this.sessions.get(runId);
    if (!s) throw new Error(`no active run ${runId}`);
    if (!s.worker) throw new Error('a real-disk or kernel run cannot be paused or paced');
    s.worker.postMessage(msg);
    return s;
  }

  pause(runId: string): void {
    this.send(runId, { type: 'pause' });
  }

  resume(runId: string): void {
    this.send(runId, { type: 'resume' });
  }

  setPacing(runId: string, pacing: Pacing): void {
    this.send(runId, { type: 'pacing', pacing });
  }

  /**
   * Stops a run. A simulation is asked to stop: it sends what it has (the runs so far, the stopped
   * one marked partial) and 'stopped'; one that does not answer within the grace time is ended and
   * 'stopped' goes out without a result. A real-disk run is aborted (its files are removed).
   */
  stop(runId: string): void {
    const s = this.sessions.get(runId);
    if (!s || s.stopping) return;
    const worker = s.worker;
    if (worker) {
      s.stopping = true;
      worker.postMessage({ type: 'stop' } satisfies ToWorker);
      const timer = setTimeout(() => {
        if (s.finished) return;
        s.finished = true;
        this.sessions.delete(runId);
        void worker.terminate();
        this.emit(runId, { type: 'stopped' });
      }, this.opts.stopGraceMs ?? 10_000);
      timer.unref();
      return;
    }
    s.finished = true;
    this.sessions.delete(runId);
    s.abort?.abort();
    this.emit(runId, { type: 'stopped' });
  }

  get active(): number {
    return this.sessions.size;
  }

  async close(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) s.abort?.abort();
    await Promise.all(all.map((s) => s.worker?.terminate()));
  }
}
