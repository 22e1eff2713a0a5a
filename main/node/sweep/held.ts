/**
 * Imported sweeps held on the Node side so the UI gets summaries first and a run's detail on
 * demand: the import answers with every run's params, layout and summary (no time series, no
 * trace), and `bundleRun(id, i)` returns run i in full when the user opens it. The last
 * HELD_SWEEPS imports are held; older ones are dropped (the UI then asks to import again).
 */
import { randomUUID } from 'node:crypto';
import type { ExperimentResult, RunResult } from '../../common/result';

export const HELD_SWEEPS = 2;
const held = new Map<string, ExperimentResult>();

/** Hold a sweep's full result; returns its id. */
export function holdSweep(result: ExperimentResult): string {
  const id = randomUUID();
  held.set(id, result);
  while (held.size > HELD_SWEEPS) held.delete(held.keys().next().value as string);
  return id;
}

/** Run `index` of held sweep `id`, in full; throws an Error with a message for the UI otherwise. */
export function heldRun(id: string, index: number): RunResult {
  const r = held.get(id);
  if (!r)
    throw new Error('this sweep is no longer held (another bundle was imported since): import it again');
  const run = r.runs[index];
  if (!run) throw new Error(`run ${index}: the sweep has ${r.runs.length} runs`);
  return run;
}

/** The result with each run's time series and trace emptied (params, layout and summary kept). */
export function summariesOnly(result: ExperimentResult): ExperimentResult {
  return {
    ...result,
    runs: result.runs.map((run) => ({
      ...run,
      timeseries: { ...run.timeseries, samples: [] },
      trace: { dispatch: [], activity: [], truncated: run.trace.truncated },
    })),
  };
}
