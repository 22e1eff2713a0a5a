/**
 * Stop keeps a partial result (issue #16 item 6): the stopped run's numbers up to where it stopped,
 * marked partial, which a bundle carries and a replay reproduces exactly.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../common/api';
import type { ExperimentResult, RunResult } from '../../common/result';
import { parseSpec, runAt } from '../../common/spec/validate';
import { Simulation } from '../../engine/simulation';
import { ENGINE_VERSION } from '../../engine/version';
import { readBundle } from '../bundle/read';
import { replayBundle } from '../bundle/replay';
import { exportBundleBytes, importBundleBytes, verifyImport } from './api-handler';
import { SessionManager } from './manager';
import { LIVE_BATCH_MAX_POINTS } from './protocol';

const SPEC = {
  name: 'stop test',
  seed: 11,
  duration_s: 4,
  disk: { preset: 'sata-7200' },
  host: { scheduler: 'cfq' as const },
  vms: [
    { name: 'a', threads: [{ name: 'r', pattern: 'random' as const, block_kb: 4 }] },
    { name: 'b', threads: [{ name: 's', block_kb: 64 }] },
  ],
  matrix: { 'host.scheduler': ['noop', 'cfq'] },
};

/** Run 0 whole and run 1 stopped at `atS` (advanced in small steps, as the live worker does). */
function stoppedResult(atS: number): ExperimentResult {
  const spec = parseSpec(SPEC);
  const r0 = runAt(spec, 0);
  const r1 = runAt(spec, 1);
  const whole = new Simulation(r0.spec, r0.params).result();
  const sim = new Simulation(r1.spec, r1.params);
  while (sim.simTimeS < atS) sim.advance(Math.min(atS, sim.simTimeS + 0.137));
  return {
    name: spec.name,
    seed: spec.seed,
    engine_version: ENGINE_VERSION,
    runs: [whole, sim.partialResult()],
    partial: { reason: 'stopped', runs_total: 2 },
  };
}

describe('a stopped run', () => {
  it('measures up to where it stopped and says so', () => {
    const r = stoppedResult(1.5);
    const run = r.runs[1];
    expect(run.partial).toEqual({ simulated_s: 1.5, duration_s: 4 });
    expect(run.summary.measured_s).toBeCloseTo(1.5, 3);
    expect(run.summary.total.ios).toBeGreaterThan(0);
    // No sample after the stop: the series ends where the run did.
    const last = run.timeseries.samples[run.timeseries.samples.length - 1];
    expect(last.t).toBeLessThanOrEqual(1.5);
    expect(r.runs[0].partial).toBeUndefined();
  });

  it('is the same whether reached in small steps or in one (a replay can reproduce it)', () => {
    const spec = parseSpec(SPEC);
    const r1 = runAt(spec, 1);
    const once = new Simulation(r1.spec, r1.params);
    once.advance(1.5);
    expect(JSON.stringify(once.partialResult())).toBe(JSON.stringify(stoppedResult(1.5).runs[1]));
  });

  it('goes into a bundle that imports, says PARTIAL in its README, and replays identical', async () => {
    const spec = parseSpec(SPEC);
    const result = stoppedResult(1.5);
    const { bytes } = await exportBundleBytes({ spec: SPEC, result });
    const b = await readBundle(bytes);
    expect(b.results.partial).toEqual({ reason: 'stopped', runs_total: 2 });
    expect(b.results.runs).toHaveLength(2);
    expect(new TextDecoder().decode(b.files.get('README.md'))).toMatch(/PARTIAL: the experiment was stopped/);
    const imported = await importBundleBytes(bytes, 'x.pvblk.zip');
    expect(imported.result.runs[1].partial?.simulated_s).toBe(1.5);
    const report = await replayBundle(bytes, { jobs: 1 });
    expect(report.differences).toEqual([]);
    expect(report.identical).toBe(true);
    const v = await verifyImport({ spec: b.spec, result: b.results });
    expect(v.identical).toBe(true);
    // A forged stop point is found: the numbers are not those of a run stopped there.
    const forged = structuredClone(result);
    (forged.runs[1].partial as { simulated_s: number }).simulated_s = 1.4;
    const f = await verifyImport({ spec, result: forged });
    expect(f.identical).toBe(false);
  });

  it('a bundle with partial runs must be marked partial and hold the first runs only', async () => {
    const result = stoppedResult(1);
    const unmarked = { ...result, partial: undefined };
    await expect(exportBundleBytes({ spec: SPEC, result: unmarked })).rejects.toThrow(/marked partial/);
    const wrongTotal = { ...result, partial: { reason: 'stopped', runs_total: 3 } };
    await expect(exportBundleBytes({ spec: SPEC, result: wrongTotal })).rejects.toThrow(/runs_total/);
    const early = { ...result, runs: [result.runs[1], result.runs[0]] };
    await expect(exportBundleBytes({ spec: SPEC, result: early })).rejects.toThrow(/params|partial/);
  });
});

const here = dirname(fileURLToPath(import.meta.url));
const workerPath = join(here, '..', '..', '..', 'out', 'main', 'sim-worker.js');

describe.skipIf(!existsSync(workerPath))('SessionManager.stop (built sim worker)', () => {
  it('sends the stopped run as run-done, marked partial, then stopped with the header', async () => {
    const m = new SessionManager({ workerPath, batchMs: 20 });
    const events: RunEvent[] = [];
    let resolveStopped: () => void = () => {};
    const stopped = new Promise<void>((r) => {
      resolveStopped = r;
    });
    m.onEvent(({ event }) => {
      events.push(event);
      if (event.type === 'stopped' || event.type === 'error') resolveStopped();
    });
    const id = m.start({ ...SPEC, duration_s: 600 }, 10);
    // Paced at 10× real time: stop once some samples of run 0 came.
    await new Promise<void>((res) => {
      const t = setInterval(() => {
        if (events.some((e) => e.type === 'samples' && e.samples.length > 0)) {
          clearInterval(t);
          res();
        }
      }, 20);
    });
    m.stop(id);
    await stopped;
    await m.close();
    const done = events.filter((e): e is Extract<RunEvent, { type: 'run-done' }> => e.type === 'run-done');
    expect(done).toHaveLength(1);
    const run: RunResult = done[0].result;
    expect(run.partial?.duration_s).toBe(600);
    expect(run.partial?.simulated_s).toBeGreaterThan(0);
    expect(run.partial?.simulated_s).toBeLessThan(600);
    const last = events[events.length - 1];
    expect(last.type).toBe('stopped');
    const header = (last as Extract<RunEvent, { type: 'stopped' }>).result;
    expect(header?.partial).toEqual({ reason: 'stopped', runs_total: 2 });
    expect(header?.runs).toEqual([]);
    expect(m.active).toBe(0);
  });
});

describe.skipIf(!existsSync(workerPath))('live stream flow control (built sim worker)', () => {
  it('sends one batch until the listeners caught up, each of at most LIVE_BATCH_MAX_POINTS samples', async () => {
    // A week sampled every millisecond at max speed: far more samples per batch than a client can
    // draw (a server fed by such a run ran out of memory before the worker waited for its acks).
    let backlog = Number.POSITIVE_INFINITY;
    const m = new SessionManager({ workerPath, batchMs: 250, backlog: () => backlog });
    const batches: Extract<RunEvent, { type: 'samples' }>[] = [];
    let last: RunEvent | null = null;
    m.onEvent(({ event }) => {
      last = event;
      if (event.type === 'samples') batches.push(event);
    });
    const id = m.start(
      {
        name: 'flood',
        seed: 3,
        duration_s: 7 * 86_400,
        sample_interval_ms: 1,
        disk: { preset: 'sata-7200' },
        host: { scheduler: 'noop' },
        native: [{ name: 'r', pattern: 'random', block_kb: 4 }],
      },
      'max',
    );
    const until = async (cond: () => boolean) => {
      while (!cond()) await new Promise((r) => setTimeout(r, 10));
    };
    await until(() => batches.length >= 1);
    // The listeners are behind (backlog over the limit): the worker waits, nothing more comes.
    await new Promise((r) => setTimeout(r, 400));
    expect(batches).toHaveLength(1);
    backlog = 0;
    await until(() => batches.length >= 4);
    m.stop(id);
    await until(() => (last as RunEvent | null)?.type === 'stopped');
    await m.close();
    for (const b of batches) expect(b.samples.length).toBeLessThanOrEqual(LIVE_BATCH_MAX_POINTS);
    // the batches covered more sample intervals than they carry points: older ones were merged
    const covered = batches.slice(1).map((b) => b.samples.reduce((n, s) => n + (s.merged ?? 1), 0));
    expect(Math.max(...covered)).toBeGreaterThan(LIVE_BATCH_MAX_POINTS);
    // time still runs forward across the batches
    const ts = batches.flatMap((b) => b.samples.map((s) => s.t));
    for (let k = 1; k < ts.length; k++) expect(ts[k]).toBeGreaterThan(ts[k - 1]);
  }, 60_000);
});
