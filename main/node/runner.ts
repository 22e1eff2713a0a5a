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

export interface RunOptions {
  /** Worker threads to use (default: available cores, at most the number of runs). 1 = in this thread. */
  jobs?: number;
  onRunDone?: (index: number, total: number, result: RunResult) => void;
}

export interface RunTask {
  spec: Spec;
  params: RunParams;
}

/** The built worker next to this module (out/main/run-worker.js), if any. */
function workerFile(): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  const f = join(here, 'run-worker.js');
  return existsSync(f) ? f : null;
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
    const pool = new Piscina({ filename: file, maxThreads: jobs, minThreads: 1, idleTimeout: 100 });
    try {
      await Promise.all(
        runs.map(async (r, i) => {
          results[i] = (await pool.run({ spec: r.spec, params: r.params } satisfies RunTask)) as RunResult;
          opts.onRunDone?.(i, runs.length, results[i]);
        }),
      );
    } finally {
      await pool.destroy();
    }
  }
  return results;
}
