/**
 * Replay: re-run a bundle's spec and compare every summary number and every time-series sample
 * value with the bundle's results. The engine is deterministic, so with the same engine version
 * the comparison is exact; a different engine version is noted (numbers may legitimately differ).
 * Real-disk results are never re-measured: beside the simulator's (results-real.json) they are
 * noted and left alone; as the only results they are compared with the simulator and noted.
 * Kernel results (results-kernel.json) are not re-run either: results.json is then their comparison
 * simulation, re-simulated with each run's stored guest overhead (kernel/sim-spec.ts).
 */
import type { ExperimentResult } from '../../common/result';
import type { Spec } from '../../common/spec/schema';
import { runAt } from '../../common/spec/validate';
import { Simulation } from '../../engine/simulation';
import { ENGINE_VERSION } from '../../engine/version';
import { kernelSimRuns } from '../kernel/sim-spec';
import { runExperiment, runTasks } from '../runner';
import { unpackTraces } from '../trace/bundle';
import { checkTraces, fileTraceProvider } from '../trace/provider';
import { type Bundle, BundleError, type ReadOptions, readBundle } from './read';

export interface ReplayOptions extends ReadOptions {
  /** Worker threads for the re-run (see runExperiment). */
  jobs?: number;
  /** Most difference lines listed (default 50); the rest are counted. */
  maxDifferences?: number;
}

export interface ReplayReport {
  identical: boolean;
  /** Readable differences, e.g. `runs[1].summary.vms[0].mbps: 41.2 (bundle) vs 40.9 (now)`; capped, with a final count line. */
  differences: string[];
  /** Total number of differing values (the list may be capped). */
  differenceCount: number;
  /** Notes on the comparison, joined by "; ": real-disk results, a different engine version. */
  engineVersionNote?: string;
  /** The bundle also holds real-disk results (results-real.json), which replay does not re-measure. */
  realResultsNotReplayed: boolean;
  /** The bundle also holds kernel results (results-kernel.json), which replay does not re-run. */
  kernelResultsNotReplayed: boolean;
  /** Runs compared. */
  runs: number;
}

function show(v: unknown): string {
  if (v === undefined) return '(absent)';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** Every leaf that differs between `a` (bundle) and `b` (now), with its path. */
export function diffValues(a: unknown, b: unknown, path: string, out: (line: string) => void): void {
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) out(`${path}: ${a.length} entries (bundle) vs ${b.length} (now)`);
    for (let i = 0; i < Math.min(a.length, b.length); i++) diffValues(a[i], b[i], `${path}[${i}]`, out);
    return;
  }
  if (isObj(a) && isObj(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) diffValues(a[k], b[k], path ? `${path}.${k}` : k, out);
    return;
  }
  if (a === b) return;
  out(`${path}: ${show(a)} (bundle) vs ${show(b)} (now)`);
}

/** Compare the bundle's result with a fresh one: params, summaries and time series of every run. */
export function compareResults(
  bundle: ExperimentResult,
  now: ExperimentResult,
  maxDifferences = 50,
): { differences: string[]; count: number } {
  // Normalize the fresh result as results.json was (JSON: no undefined, non-finite → null).
  const fresh = JSON.parse(JSON.stringify(now)) as ExperimentResult;
  const differences: string[] = [];
  let count = 0;
  const out = (line: string) => {
    count++;
    if (differences.length < maxDifferences) differences.push(line);
  };
  if (bundle.runs.length !== fresh.runs.length)
    out(`runs: ${bundle.runs.length} runs (bundle) vs ${fresh.runs.length} (now)`);
  for (let i = 0; i < Math.min(bundle.runs.length, fresh.runs.length); i++) {
    const a = bundle.runs[i];
    const b = fresh.runs[i];
    diffValues(a.params, b.params, `runs[${i}].params`, out);
    diffValues(a.summary, b.summary, `runs[${i}].summary`, out);
    diffValues(a.timeseries?.samples, b.timeseries?.samples, `runs[${i}].timeseries.samples`, out);
  }
  if (count > differences.length)
    differences.push(`… and ${count - differences.length} more differences (${count} in all)`);
  return { differences, count };
}

/**
 * A fresh result of `spec` to compare with `stored`: the whole matrix, or for a stopped
 * experiment (`partial`) its first runs, the stopped one simulated to where it stopped (the
 * engine is deterministic, so a run advanced to the same simulated time has the same numbers).
 */
export async function rerunLike(
  spec: Spec,
  stored: ExperimentResult,
  opts: { jobs?: number } = {},
): Promise<ExperimentResult> {
  if (!stored.partial) return runExperiment(spec, opts);
  const n = stored.runs.length;
  const last = stored.runs[n - 1]?.partial;
  const whole = await runTasks(
    Array.from({ length: last ? n - 1 : n }, (_, k) => runAt(spec, k)),
    opts,
  );
  const runs = [...whole];
  if (last) {
    const r = runAt(spec, n - 1);
    const sim = new Simulation(r.spec, r.params, { traces: fileTraceProvider(r.spec) });
    sim.advance(last.simulated_s);
    runs.push(sim.partialResult());
  }
  return { ...stored, engine_version: ENGINE_VERSION, runs };
}

/**
 * A fresh comparison simulation of a kernel result of `spec` (each run's guest plan with its stored
 * overhead), to compare with the stored one. A spec the guest cannot express is a BundleError.
 */
export async function rerunKernelSim(
  spec: Spec,
  stored: ExperimentResult,
  kernel: ExperimentResult,
  opts: { jobs?: number } = {},
): Promise<ExperimentResult> {
  let tasks: ReturnType<typeof kernelSimRuns>;
  try {
    tasks = kernelSimRuns(spec, kernel);
  } catch (e) {
    throw new BundleError(
      'invalid-results',
      `results-kernel.json: cannot rebuild its comparison simulation: ${(e as Error).message}`,
    );
  }
  return { ...stored, engine_version: ENGINE_VERSION, runs: await runTasks(tasks, opts) };
}

/** Re-run an already read bundle and compare. */
export async function replayLoaded(bundle: Bundle, opts: ReplayOptions = {}): Promise<ReplayReport> {
  const traced = unpackTraces(bundle.spec, bundle.files);
  let now: ExperimentResult;
  try {
    checkTraces(traced.spec);
    // A sweep shard holds some runs of the matrix: re-run exactly those.
    const sweep = bundle.manifest.sweep;
    now = sweep
      ? {
          ...bundle.results,
          engine_version: ENGINE_VERSION,
          runs: await runTasks(
            sweep.indices.map((i) => runAt(traced.spec, i)),
            { jobs: opts.jobs },
          ),
        }
      : bundle.kernelResults
        ? await rerunKernelSim(traced.spec, bundle.results, bundle.kernelResults, { jobs: opts.jobs })
        : await rerunLike(traced.spec, bundle.results, { jobs: opts.jobs });
  } finally {
    traced.cleanup();
  }
  const { differences, count } = compareResults(bundle.results, now, opts.maxDifferences ?? 50);
  const report: ReplayReport = {
    identical: count === 0,
    differences,
    differenceCount: count,
    realResultsNotReplayed: bundle.realResults !== undefined,
    kernelResultsNotReplayed: bundle.kernelResults !== undefined,
    runs: now.runs.length,
  };
  const bundled = bundle.manifest.engine_version;
  const notes: string[] = [];
  if (bundle.realResults)
    notes.push(
      `the bundle also holds real-disk results (results-real.json, ${bundle.realResults.runs.length} run${bundle.realResults.runs.length === 1 ? '' : 's'}${bundle.realResults.not_run?.length ? `, ${bundle.realResults.not_run.length} not run` : ''}); replay compares the simulated results only and does not re-measure the real ones`,
    );
  const k = bundle.kernelResults;
  if (k) {
    const runs = k.runs as { kernel?: { kernel?: string; accel?: string } }[];
    notes.push(
      `the bundle also holds kernel results (results-kernel.json, ${runs.length} run${runs.length === 1 ? '' : 's'}, Linux ${runs[0]?.kernel?.kernel ?? '?'} under ${(runs[0]?.kernel?.accel ?? '?').toUpperCase()}); replay re-simulates the comparison (each run with its measured guest overhead) and does not re-run the kernel`,
    );
  }
  if ((bundle.results as { backend?: string }).backend === 'real')
    notes.push(
      'the bundle holds results measured on a real disk (pvblk real); the replay re-runs the spec in the simulator, so differences are expected',
    );
  if (bundled !== ENGINE_VERSION)
    notes.push(
      `the bundle was made with engine ${bundled}, this is engine ${ENGINE_VERSION}; numbers may differ because the model changed`,
    );
  if (notes.length) report.engineVersionNote = notes.join('; ');
  return report;
}

/** Read a bundle (strictly; throws BundleError), re-run its spec and compare with its results. */
export async function replayBundle(
  pathOrBytes: string | Uint8Array,
  opts: ReplayOptions = {},
): Promise<ReplayReport> {
  return replayLoaded(await readBundle(pathOrBytes, opts), opts);
}
