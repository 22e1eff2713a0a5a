/**
 * Runs one experiment (every run of its matrix, one after another) in a worker thread and streams
 * batched samples to the parent. Honours pause / resume / stop and pacing (simulated seconds per
 * wall second; 'max' = as fast as possible, yielding between batches so control messages get in).
 *
 * Flow control: one 'samples' batch at a time. After posting one the worker waits for the
 * parent's 'ack' before it simulates on, so a consumer slower than the simulation (a browser
 * drawing the stream) slows the run down instead of queueing batches in the parent until it runs
 * out of memory (a week-long run sampled every millisecond did, at max speed). And a batch holds
 * at most LIVE_BATCH_MAX_POINTS samples (what the page's series keeps): more are merged into
 * coarser points as every bounded series merges them (common/series.ts: the newest at full
 * resolution, `merged` on the others), so a batch's size does not grow with how many sample
 * intervals the simulation covered in it. The
 * run's result is the engine's own and does not depend on either.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Pacing, RunEvent } from '../../common/api';
import type { ActivityEvent, DispatchPoint, RunResult, Sample } from '../../common/result';
import { appendSample } from '../../common/series';
import { checkTraces, fileTraceProvider } from '../trace/provider';
import { ENGINE_VERSION, expandMatrix, Simulation, validateSpec } from './engine';
import { LIVE_BATCH_FULL_POINTS, LIVE_BATCH_MAX_POINTS, type SimWorkerData, type ToWorker } from './protocol';

const port = parentPort;
if (!port) throw new Error('sim-worker must run in a worker thread');
const data = workerData as SimWorkerData;
const batchMs = data.batchMs ?? 80;

let pacing: Pacing = data.pacing;
let paused = false;
let stopped = false;
let wake: (() => void) | null = null;
/** A 'samples' batch went out and the parent has not acknowledged it yet. */
let unacked = false;
/** Ends a wait for the ack (which any control message ends too: a stop must get through). */
let ackWaiter: (() => void) | null = null;

port.on('message', (m: ToWorker) => {
  ackWaiter?.();
  if (m.type === 'ack') {
    // not `wake`: a paced run's sleep between batches is not cut short by the ack
    unacked = false;
    return;
  }
  if (m.type === 'pause') paused = true;
  else if (m.type === 'resume') paused = false;
  else if (m.type === 'stop') stopped = true;
  else if (m.type === 'pacing') pacing = m.pacing;
  if (m.type === 'pause' || m.type === 'resume')
    post({ type: 'state', state: paused ? 'paused' : 'running' });
  wake?.();
});

function post(e: RunEvent): void {
  port!.postMessage(e);
}

const ackOrControl = () =>
  new Promise<void>((res) => {
    ackWaiter = () => {
      ackWaiter = null;
      res();
    };
  });

const sleep = (ms: number) =>
  new Promise<void>((res) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      wake = null;
      res();
    }
    wake = done;
  });

async function main(): Promise<void> {
  const v = validateSpec(data.spec);
  if (!v.ok) {
    post({ type: 'error', message: v.errors.map((e) => `${e.path || '(spec)'}: ${e.message}`).join('\n') });
    return;
  }
  try {
    checkTraces(v.spec);
  } catch (e) {
    post({ type: 'error', message: (e as Error).message });
    return;
  }
  const runs = expandMatrix(v.spec);
  const totalS = runs.reduce((a, r) => a + r.spec.duration_s, 0) || 1;
  let doneS = 0;
  const results: RunResult[] = [];
  const header = { name: v.spec.name, seed: v.spec.seed, engine_version: ENGINE_VERSION };
  // Stopped: what ran so far is the result, marked partial (the stopped run's numbers end where it stopped).
  const stop = (sim: Simulation | null, i: number) => {
    if (sim) {
      const result = sim.partialResult();
      results.push(result);
      post({ type: 'run-done', runIndex: i, result });
    }
    post({
      type: 'stopped',
      result: { ...header, runs: results, partial: { reason: 'stopped', runs_total: runs.length } },
    });
  };
  for (let i = 0; i < runs.length; i++) {
    if (stopped) return stop(null, i);
    const run = runs[i];
    const sim = new Simulation(run.spec, run.params, { traces: fileTraceProvider(run.spec) });
    post({ type: 'layout', runIndex: i, runs: runs.length, params: run.params, layout: sim.layout });
    let samples: Sample[] = [];
    let dispatch: DispatchPoint[] = [];
    let activity: ActivityEvent[] = [];
    const weights = sim.layout.vms.map((vm) => vm.weight);
    const collect = (out: { samples: Sample[]; dispatch: DispatchPoint[]; activity: ActivityEvent[] }) => {
      for (const smp of out.samples)
        appendSample(samples, smp, weights, LIVE_BATCH_MAX_POINTS, LIVE_BATCH_FULL_POINTS);
      for (const d of out.dispatch) dispatch.push(d);
      for (const a of out.activity) activity.push(a);
    };
    const flush = () => {
      post({
        type: 'samples',
        runIndex: i,
        samples,
        dispatch,
        activity,
        simTimeS: sim.simTimeS,
        progress: Math.min(1, (doneS + sim.simTimeS) / totalS),
      });
      unacked = true;
      samples = [];
      dispatch = [];
      activity = [];
    };
    // Sim-time budget for paced runs: grows with unpaused wall time.
    let budgetS = sim.simTimeS;
    let last = performance.now();
    // At most 1 simulated second per advance (more when the sample interval is longer): a 7-day
    // run's first batch comes as quickly as a 30-second run's, not after a 5-minute slice.
    const step = Math.max(sim.layout.sample_interval_ms / 1000, Math.min(sim.durationS / 2000, 1));
    while (!sim.done) {
      if (stopped) {
        if (samples.length || dispatch.length || activity.length) flush();
        return stop(sim, i);
      }
      if (unacked) {
        // a paced run's budget does not grow while the parent catches up
        await ackOrControl();
        last = performance.now();
        continue;
      }
      if (paused) {
        if (samples.length || dispatch.length) flush();
        await sleep(1000);
        last = performance.now();
        continue;
      }
      const start = performance.now();
      if (pacing === 'max') {
        while (!sim.done && performance.now() - start < batchMs) {
          collect(sim.advance(Math.min(sim.durationS, sim.simTimeS + step)));
        }
        flush();
        await sleep(0);
      } else {
        const now = performance.now();
        budgetS += ((now - last) / 1000) * pacing;
        last = now;
        collect(sim.advance(Math.min(sim.durationS, budgetS)));
        flush();
        if (!sim.done) await sleep(Math.max(5, batchMs - (performance.now() - start)));
      }
    }
    const result = sim.result();
    results.push(result);
    doneS += sim.durationS;
    post({ type: 'run-done', runIndex: i, result });
  }
  post({ type: 'done', result: { ...header, runs: results } });
}

// The parent terminates the worker once it has seen 'done', 'error' or a stop. The client gets the
// message only; the stack goes to this process's stderr, for whoever runs the server.
main().catch((err: unknown) => {
  if (err instanceof Error && err.stack) console.error(`pvblk simulation worker: ${err.stack}`);
  post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
});
