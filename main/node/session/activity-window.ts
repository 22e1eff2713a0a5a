/**
 * Full-resolution scheduler activity for a zoomed window of a finished run (issue #16 item 2).
 *
 * A run keeps a bounded activity trace (`trace_max_points`, an even 1-in-N once past the cap), so
 * a zoomed chart of a busy run shows fewer service periods and idle windows than there were. The
 * engine is deterministic (same spec, same run → same events), so instead of holding every event
 * of every run (memory growing with the run's length), the run is simulated again up to the
 * window, keeping only the window's events (engine/metrics/activity-window.ts). Memory is bounded
 * by the window (at most MAX_WINDOW_EVENTS events); the cost is the simulation time up to the
 * window's end, in a worker thread.
 */
import type { ActivityWindowReply, ParamValue } from '../../common/api';
import type { ActivityEvent } from '../../common/result';
import type { Spec } from '../../common/spec/schema';
import { costOverLimits, estimateSpecCost, formatCost } from '../../engine/cost';
import { ActivityWindow } from '../../engine/metrics/activity-window';
import { runTaskInWorker } from '../runner';
import { fileTraceProvider } from '../trace/provider';
import { ENGINE_VERSION, expandMatrix, Simulation, validateSpec } from './engine';

/** Most events one window returns (a 60 s window of the busiest preset holds some 30,000). */
export const MAX_WINDOW_EVENTS = 200_000;
/** Widest window asked for, seconds (the chart's widest is 60 s). */
export const MAX_WINDOW_S = 600;
/**
 * Simulated past the window's end so that periods starting in the window and ending after it are
 * reported (an event is recorded when it ends); longer periods are cut at the window's end.
 */
export const WINDOW_TAIL_S = 1;

export class ActivityWindowError extends Error {}

/** A window task for a simulation worker (run-worker.ts). */
export interface WindowTask {
  spec: Spec;
  params: Record<string, ParamValue>;
  window: { fromS: number; toS: number; max: number };
}

/** Simulates one run up to the window's end and returns the window's events (in this thread). */
export function simulateWindow(task: WindowTask): { events: ActivityEvent[]; complete: boolean } {
  const { fromS, toS, max } = task.window;
  const win = new ActivityWindow(fromS, toS, max);
  const sim = new Simulation(task.spec, task.params, {
    traces: fileTraceProvider(task.spec),
    activityWindow: win,
  });
  sim.advance(Math.min(sim.durationS, toS + WINDOW_TAIL_S));
  return { events: win.items, complete: !win.overflow };
}

/** The window [fromS, toS] of the run with `params` of `spec`, every scheduler event in it. */
export async function activityWindow(req: {
  spec: unknown;
  params: Record<string, ParamValue>;
  fromS: number;
  toS: number;
  engineVersion?: string;
}): Promise<ActivityWindowReply> {
  if (req.engineVersion !== undefined && req.engineVersion !== ENGINE_VERSION)
    throw new ActivityWindowError(
      `the result was made with engine ${req.engineVersion}, this is engine ${ENGINE_VERSION}: a re-simulation would not show its events`,
    );
  const v = validateSpec(req.spec);
  if (!v.ok)
    throw new ActivityWindowError(
      `invalid spec: ${v.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
    );
  const want = JSON.stringify(req.params);
  const run = expandMatrix(v.spec).find((r) => JSON.stringify(r.params) === want);
  if (!run) throw new ActivityWindowError(`no run of this spec has the parameters ${want}`);
  const fromS = Math.max(0, req.fromS);
  const toS = Math.min(run.spec.duration_s, req.toS);
  if (!(toS > fromS))
    throw new ActivityWindowError(
      `the window ${req.fromS}–${req.toS} s is outside the run (0–${run.spec.duration_s} s)`,
    );
  if (toS - fromS > MAX_WINDOW_S)
    throw new ActivityWindowError(
      `a window of ${(toS - fromS).toFixed(1)} s is wider than ${MAX_WINDOW_S} s`,
    );
  const upTo = { ...run.spec, duration_s: Math.min(run.spec.duration_s, toS + WINDOW_TAIL_S) };
  const cost = estimateSpecCost(upTo, [upTo]);
  const over = costOverLimits(cost);
  if (over.length)
    throw new ActivityWindowError(
      `re-simulating up to ${toS.toFixed(2)} s is too large: ${over.join('; ')} (${formatCost(cost)})`,
    );
  const task: WindowTask = {
    spec: run.spec,
    params: run.params,
    window: { fromS, toS, max: MAX_WINDOW_EVENTS },
  };
  const r = await runTaskInWorker<WindowTask, { events: ActivityEvent[]; complete: boolean }>(
    task,
    simulateWindow,
  );
  return { fromS, toS, events: r.events, complete: r.complete, max: MAX_WINDOW_EVENTS };
}
