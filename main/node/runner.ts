/**
 * Runs an experiment: every run of its matrix, in parallel worker threads where cores allow
 * (piscina), or in this thread. Each run is an independent deterministic simulation, so the
 * result does not depend on how many workers ran it; runs are returned in matrix order.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExperimentResult, RunResult } from '../common/result';
import type { Spec } from '../common/spec/schema';
import { expandMatrix, type RunParams } from '../common/spec/validate';
import { simulate } from '../engine/simulation';
import { ENGINE_VERSION } from '../engine/version';
import { fileTraceProvider } from './trace/provider';
import { workerHeapMb } from './worker-heap';

/** A run's worker thread hit its heap cap (worker-heap.ts): the run, the cap and what to change. */
export class RunOutOfMemory extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunOutOfMemory';
  }
}

const runLabel = (params: RunParams): string =>
  Object.entries(params)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

export interface RunOptions {
  /** Worker threads to use (default: available cores, at most the number of runs). 1 = in this thread. */
  jobs?: number;
  onRunDone?: (index: number, total: number, result: RunResult) => void;
}

export interface RunTask {
  spec: Spec;
  params: RunParams;
}

/**
 * The built worker (out/main/run-worker.js) near this module, if any: next to it, or one folder up
 * when the build put this module in a shared chunk (out/main/chunks/).
 */
function workerFile(): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  return [join(here, 'run-worker.js'), join(here, '..', 'run-worker.js')].find((f) => existsSync(f)) ?? null;
}

/**
 * One task in a simulation worker thread (run-worker.ts; the calling thread stays free), or in
 * this thread with `inThread` when no built worker exists (tests from source).
 */
export async function runTaskInWorker<T extends object, R>(task: T, inThread: (t: T) => R): Promise<R> {
  const file = workerFile();
  if (!file) return inThread(task);
  const { Piscina } = await import('piscina');
  const pool = new Piscina({ filename: file, maxThreads: 1, minThreads: 0, idleTimeout: 100 });
  try {
    return (await pool.run(task)) as R;
  } finally {
    await pool.destroy();
  }
}

export async function runExperiment(spec: Spec, opts: RunOptions = {}): Promise<ExperimentResult> {
  const results = await runTasks(expandMatrix(spec), opts);
  return { name: spec.name, seed: spec.seed, engine_version: ENGINE_VERSION, runs: results };
}

/**
 * Runs the given matrix runs (any subset, e.g. one shard of a sweep), in parallel where cores
 * allow; results in the order of `runs`, `onRunDone` with the position in `runs`.
 */
export async function runTasks(runs: RunTask[], opts: RunOptions = {}): Promise<RunResult[]> {
  const results: RunResult[] = new Array(runs.length);
  const file = workerFile();
  const jobs = Math.max(1, Math.min(opts.jobs ?? availableParallelism(), runs.length));
  if (jobs === 1 || !file) {
    runs.forEach((r, i) => {
      results[i] = simulate(r.spec, r.params, { traces: fileTraceProvider(r.spec) });
      opts.onRunDone?.(i, runs.length, results[i]);
    });
  } else {
    // The pool (and its worker machinery) is only loaded for runs that use it.
    const { Piscina } = await import('piscina');
    // Each worker's heap is capped like the UI's simulation workers: one run cannot take the machine.
    const heapMb = workerHeapMb();
    const pool = new Piscina({
      filename: file,
      maxThreads: jobs,
      minThreads: 1,
      idleTimeout: 100,
      resourceLimits: { maxOldGenerationSizeMb: heapMb },
    });
    // A worker that dies (out of memory) also fails the task it ran, which is reported below.
    pool.on('error', () => {});
    try {
      await Promise.all(
        runs.map(async (r, i) => {
          try {
            results[i] = (await pool.run({ spec: r.spec, params: r.params } satisfies RunTask)) as RunResult;
          } catch (e) {
            if ((e as { code?: string }).code !== 'ERR_WORKER_OUT_OF_MEMORY') throw e;
            const which = runLabel(r.params);
            throw new RunOutOfMemory(
              `run ${i + 1} of ${runs.length}${which ? ` (${which})` : ''}: the simulation ran out of memory ` +
                `(worker heap cap ${heapMb} MiB; PVBLK_WORKER_HEAP_MB sets it): lower the thread counts, ` +
                'trace_max_points or duration_s',
            );
          }
          opts.onRunDone?.(i, runs.length, results[i]);
        }),
      );
    } finally {
      await pool.destroy();
    }
  }
  return results;
}
