// @vitest-environment happy-dom
import type { EventEnvelope, PvblkApi, RunEvent } from '@common/api';
import type { ExperimentResult, RunLayout, RunResult, Sample } from '@common/result';
import { SERIES_MAX_POINTS } from '@common/series';
import { describe, expect, it } from 'vitest';
import { createStore } from './store';

const layout: RunLayout = {
  vms: [{ name: 'A', mapping: 'vm', weight: 100, image_start: 0, image_sectors: 1000 }],
  threads: [{ name: 'r', vm: 0, pid: 1 }],
  contexts: [{ id: 0, name: 'A', vm: 0, group: 0 }],
  disk_sectors: 10_000,
  sample_interval_ms: 250,
  duration_s: 1,
  warmup_s: 0,
};
const sample = (t: number): Sample => ({
  t,
  total_mbps: 1,
  total_iops: 1,
  vm_mbps: [1],
  vm_iops: [1],
  vm_disk_share: [1],
  vm_p50: [1],
  vm_p95: [1],
  vm_p99: [1],
  vm_breakdown: [{ guest: 0, qemu: 0, host_queue: 0, device: 1 }],
  thread_mbps: [1],
  thread_p50: [1],
  thread_p99: [1],
  thread_disk_share: [1],
  jain_vms: null,
  jain_vms_interval: null,
  utilization: 1,
  host_queue: 0,
  latency_hist: [1],
});

/** An experiment result of one run with one sample, as an imported bundle holds it. */
const oneRunResult = (name: string): ExperimentResult =>
  ({
    name,
    seed: 1,
    engine_version: '1',
    runs: [
      {
        params: {},
        layout,
        summary: {},
        timeseries: { samples: [sample(0.25)] },
        trace: { dispatch: [], activity: [], truncated: false },
      },
    ],
  }) as unknown as ExperimentResult;

function fakeApi(
  importBundle: PvblkApi['importBundle'] = async () => null,
  over: {
    costOver?: string[];
    verify?: PvblkApi['verifyImport'];
    bundleRun?: PvblkApi['bundleRun'];
    checkKernel?: PvblkApi['checkKernel'];
    exportBundle?: PvblkApi['exportBundle'];
  } = {},
) {
  const started: unknown[] = [];
  const listeners = new Set<(e: EventEnvelope) => void>();
  const emit = (runId: string, event: RunEvent) => {
    for (const l of listeners) l({ runId, event });
  };
  const api: PvblkApi = {
    transport: 'browser',
    listPresets: async () => [{ name: 'p', title: 'P', description: '', matrix: false }],
    getPreset: async () => ({ name: 'p', duration_s: 1 }),
    validateSpec: async (spec) =>
      (spec as { duration_s: number }).duration_s > 0
        ? { ok: true, runs: 1, cost: { summary: '1 run', over: over.costOver ?? [] } }
        : { ok: false, errors: [{ path: 'duration_s', message: 'Too small' }] },
    // Events of the new run arrive before startRun's reply, as they can over WebSocket.
    startRun: async (req) => {
      started.push(req);
      emit('r1', { type: 'layout', runIndex: 0, runs: 1, params: {}, layout });
      emit('r1', {
        type: 'samples',
        runIndex: 0,
        samples: [sample(0.25)],
        dispatch: [],
        activity: [],
        simTimeS: 0.25,
        progress: 0.25,
      });
      emit('other', { type: 'error', message: 'not mine' });
      return 'r1';
    },
    checkRealDir: async (dir) => ({ ok: false, error: `${dir}: does not exist` }),
    pickRealDir: async () => null,
    pickKernelPath: async () => null,
    checkKernel:
      over.checkKernel ??
      (async () => ({
        ok: true,
        qemu: 'QEMU emulator version 7.2.19',
        accel: 'TCG (no /dev/kvm)',
        kernel: '6.1.0-57-amd64',
        detail: [],
        runs: 1,
        notes: [],
      })),
    previewTrace: async () => ({ ok: false, error: 'no traces here' }),
    validateTrace: async () => ({ ok: false, error: 'no traces here' }),
    setPacing: async () => {},
    pause: async () => {},
    resume: async () => {},
    stop: async () => {},
    characterizeDisk: async () => {
      throw new Error('no disk');
    },
    listDiskPresets: async () => [],
    saveResult: async () => true,
    loadResult: async () => null,
    loadSpec: async () => null,
    saveSpec: async () => true,
    getLastSpec: async () => null,
    setLastSpec: async () => {},
    exportBundle: over.exportBundle ?? (async () => true),
    importBundle,
    bundleRun:
      over.bundleRun ??
      (async () => {
        throw new Error('no sweep held');
      }),
    activityWindow: async () => {
      throw new Error('no window here');
    },
    verifyImport:
      over.verify ??
      (async () => {
        throw new Error('no verify');
      }),
    onEvent: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  return { api, emit, started };
}

const settle = () => new Promise((r) => setTimeout(r, 20));

/** A kernel result of `oneRunResult`'s shape: backend "kernel" and the run's kernel block. */
const kernelResult = (name: string): ExperimentResult => {
  const r = oneRunResult(name) as ExperimentResult & { backend?: string };
  r.backend = 'kernel';
  (r.runs[0] as unknown as { kernel: unknown }).kernel = {
    kernel: '6.1.0-57-amd64',
    accel: 'tcg',
    vcpus: 2,
    sysfs: { scheduler: 'mq-deadline [bfq] none' },
    sim_overhead_us: 850,
    flags: [],
    notes: [],
  };
  return r;
};

describe('store', () => {
  it('loads the first preset, validates it and reports field errors', async () => {
    const { api } = fakeApi();
    const s = createStore(api);
    await s.init();
    await settle();
    expect(s.state.presetName).toBe('p');
    expect(s.valid()).toBe(true);
    s.setSpecText(JSON.stringify({ name: 'p', duration_s: -1 }), true);
    expect(s.valid()).toBe(false);
    await settle();
    expect(s.state.errors).toEqual([{ path: 'duration_s', message: 'Too small' }]);
    s.setSpecText('{ nope', true);
    await settle();
    expect(s.state.parseError).toBeTruthy();
    expect(s.valid()).toBe(false);
  });

  it('keeps events that arrive before startRun resolves and ignores other runs', async () => {
    const { api, emit } = fakeApi();
    const s = createStore(api);
    await s.init();
    await settle();
    await s.run();
    expect(s.state.runId).toBe('r1');
    expect(s.state.status).toBe('running');
    expect(s.runs.value).toHaveLength(1);
    expect(s.runs.value[0].samples).toHaveLength(1);
    expect(s.state.message).toBeNull();
    emit('r1', {
      type: 'samples',
      runIndex: 0,
      samples: [sample(0.5)],
      dispatch: [],
      activity: [],
      simTimeS: 0.5,
      progress: 0.5,
    });
    expect(s.state.sampleCount).toBe(2);
    expect(s.state.progress).toBe(0.5);
    await s.control('pause');
    expect(s.state.status).toBe('paused');
    await s.control('stop');
    // The session answers a stop with the stopped run's partial result, then 'stopped' (runs: []).
    const partialRun = {
      params: {},
      layout,
      summary: { total: { mbps: 1 }, vms: [] },
      partial: { simulated_s: 0.5, duration_s: 1 },
    } as unknown as RunResult;
    emit('r1', { type: 'run-done', runIndex: 0, result: partialRun });
    emit('r1', {
      type: 'stopped',
      result: {
        name: 'p',
        seed: 1,
        engine_version: '1',
        runs: [],
        partial: { reason: 'stopped', runs_total: 1 },
      },
    });
    expect(s.state.status).toBe('stopped');
    const kept = s.experiment.value;
    expect(kept?.partial).toEqual({ reason: 'stopped', runs_total: 1 });
    expect(kept?.runs).toEqual([partialRun]);
  });

  it('a stopped run without a result (the worker did not answer) keeps nothing to save', async () => {
    const { api, emit } = fakeApi();
    const s = createStore(api);
    await s.init();
    await settle();
    await s.run();
    await s.control('stop');
    emit('r1', { type: 'stopped' });
    expect(s.state.status).toBe('stopped');
    expect(s.experiment.value).toBeNull();
  });

  it("puts the run-done results back in a 'done' that carries runs: [] (sent once)", async () => {
    const { api, emit } = fakeApi();
    const s = createStore(api);
    await s.init();
    await settle();
    await s.run();
    const run = { params: {}, layout, summary: { total: { mbps: 1 }, vms: [] } } as unknown as RunResult;
    emit('r1', { type: 'run-done', runIndex: 0, result: run });
    emit('r1', { type: 'done', result: { name: 'p', seed: 1, engine_version: '1', runs: [] } });
    expect(s.state.status).toBe('done');
    expect(s.experiment.value?.runs).toEqual([run]);
    expect(s.experiment.value?.name).toBe('p');
  });

  it('a real run with runs not run here finishes done (not error), with each as a not-run row and its reason', async () => {
    const { api, emit } = fakeApi();
    const s = createStore(api);
    await s.init();
    await settle();
    await s.run();
    const run = {
      params: { m: 'vm' },
      layout,
      summary: { total: { mbps: 1 }, vms: [] },
    } as unknown as RunResult;
    emit('r1', { type: 'run-done', runIndex: 0, result: run });
    const notRun = {
      index: 1,
      params: { m: 'vpid-group' },
      status: 'not-run' as const,
      reason: "vpid-group: the VMs' weighted I/O cgroups are not available here: no bfq",
    };
    const result = { name: 'p', seed: 1, engine_version: '1', backend: 'real', runs: [], not_run: [notRun] };
    emit('r1', { type: 'done', result });
    expect(s.state.status).toBe('done');
    expect(s.experiment.value?.runs).toEqual([run]);
    expect(s.experiment.value?.not_run).toEqual([notRun]);
    expect(s.notRun.value).toEqual([{ params: { m: 'vpid-group' }, reason: notRun.reason }]);
    // a new run starts without them
    await s.run();
    expect(s.notRun.value).toEqual([]);
  });

  it('keeps the page memory bounded like the engine series: older points merge, the newest stay', async () => {
    const { api, emit } = fakeApi();
    const s = createStore(api);
    await s.init();
    await settle();
    await s.run();
    const n = SERIES_MAX_POINTS * 6;
    for (let k = 1; k <= n; k += 1000) {
      const batch = Array.from({ length: Math.min(1000, n - k + 1) }, (_, i) => sample((k + i) * 0.25));
      emit('r1', {
        type: 'samples',
        runIndex: 0,
        samples: batch,
        dispatch: [],
        activity: [],
        simTimeS: 0,
        progress: 0.1,
      });
    }
    const v = s.runs.value[0];
    expect(v.samples.length).toBeLessThanOrEqual(SERIES_MAX_POINTS);
    // every interval (and the one the run started with) is still covered once; the newest point is the last
    expect(v.samples.reduce((a, x) => a + (x.merged ?? 1), 0)).toBe(n + 1);
    expect(v.samples.at(-1)?.t).toBe(n * 0.25);
    expect(v.samples.at(-1)?.merged).toBeUndefined();
  });

  it('undoes edits back to the loaded spec', async () => {
    const { api } = fakeApi();
    const s = createStore(api);
    await s.init();
    const loaded = s.state.specText;
    expect(s.dirty()).toBe(false);
    s.editSpecText(JSON.stringify({ name: 'p', duration_s: 2 }));
    expect(s.dirty()).toBe(true);
    expect(s.state.undoDepth).toBe(1);
    s.undo();
    expect(s.state.specText).toBe(loaded);
    expect(s.dirty()).toBe(false);
  });

  it('imports a bundle without running: spec, samples, badge; a broken one is an inline error', async () => {
    const result = {
      name: 'b',
      seed: 1,
      engine_version: '1',
      runs: [
        {
          params: {},
          layout,
          summary: { total: { mbps: 1 }, vms: [] },
          timeseries: { samples: [sample(0.25), sample(0.5), sample(0.75)] },
          trace: { dispatch: [], activity: [], truncated: false },
        },
      ],
    } as unknown as ExperimentResult;
    let fail = false;
    const { api } = fakeApi(async () => {
      if (fail) throw new Error('x.pvblk.zip: results.json: sha256 mismatch');
      return {
        name: 'b.pvblk.zip',
        spec: { name: 'b', duration_s: 1 },
        result,
        charts: {},
        engineVersion: '1',
        created: 'now',
        verified: false as const,
      };
    });
    const s = createStore(api);
    await s.init();
    await settle();
    await s.importBundle();
    expect(s.state.imported?.name).toBe('b.pvblk.zip');
    expect(s.state.status).toBe('done');
    expect(s.state.runId).toBeNull();
    expect(s.state.sampleCount).toBe(3);
    expect(s.runs.value[0].samples).toHaveLength(3);
    expect(s.experiment.value).toBe(result);
    expect(JSON.parse(s.state.specText)).toEqual({ name: 'b', duration_s: 1 });
    fail = true;
    await s.importBundle();
    expect(s.state.bundleError).toContain('sha256');
    // Re-running live clears the imported state.
    await settle();
    await s.run();
    expect(s.state.imported).toBeNull();
    expect(s.state.status).toBe('running');
  });

  it('asks before running a spec over the cost limits, and tells the API the user agreed', async () => {
    const { api, started } = fakeApi(undefined, { costOver: ['about 9G simulated requests (limit 200M)'] });
    const s = createStore(api);
    await s.init();
    await settle();
    const asked: string[] = [];
    let answer = false;
    window.confirm = (m?: string) => {
      asked.push(String(m));
      return answer;
    };
    await s.run();
    expect(asked[0]).toContain('9G simulated requests');
    expect(started).toHaveLength(0);
    expect(s.state.status).not.toBe('running');
    answer = true;
    await s.run();
    expect(started).toEqual([expect.objectContaining({ allowLarge: true })]);
    expect(s.state.status).toBe('running');
  });

  it('asks before opening a bundle over the cost limits, with the estimate, and opens it only when agreed', async () => {
    const result = oneRunResult('w');
    const calls: unknown[] = [];
    const { api } = fakeApi(async (confirmed) => {
      calls.push(confirmed);
      if (!confirmed)
        return {
          confirm: {
            id: 'held-1',
            name: 'week.pvblk.zip',
            summary: '1 run, ~78.3G requests',
            over: ['about 78.3G simulated requests (limit 200M)'],
          },
        };
      return {
        name: 'week.pvblk.zip',
        spec: { name: 'w', duration_s: 1 },
        result,
        charts: {},
        engineVersion: '1',
        created: 'now',
        verified: false as const,
      };
    });
    const s = createStore(api);
    await s.init();
    await settle();
    const asked: string[] = [];
    let answer = false;
    window.confirm = (m?: string) => {
      asked.push(String(m));
      return answer;
    };
    await s.importBundle();
    expect(asked[0]).toContain('week.pvblk.zip holds a large experiment: about 78.3G simulated requests');
    expect(asked[0]).toContain('Estimate: 1 run, ~78.3G requests');
    expect(calls).toEqual([undefined]);
    expect(s.state.imported).toBeNull();
    expect(s.state.bundleError).toBeNull();
    answer = true;
    await s.importBundle();
    expect(calls).toEqual([undefined, undefined, { confirm: 'held-1' }]);
    expect(s.state.imported?.name).toBe('week.pvblk.zip');
    expect(s.experiment.value).toBe(result);
  });

  it('marks an imported bundle "not verified" until a replay agrees', async () => {
    const result = oneRunResult('b');
    let identical = false;
    const { api } = fakeApi(
      async () => ({
        name: 'b.pvblk.zip',
        spec: { name: 'b', duration_s: 1 },
        result,
        charts: {},
        engineVersion: '1',
        created: 'now',
        verified: false as const,
      }),
      {
        verify: async () => ({
          identical,
          differenceCount: identical ? 0 : 1,
          differences: identical ? [] : ['runs[0].summary.total.mbps: 999 (bundle) vs 41 (now)'],
        }),
      },
    );
    const s = createStore(api);
    await s.init();
    await settle();
    await s.importBundle();
    expect(s.state.imported?.verify).toBe('not verified');
    await s.verifyImport();
    expect(s.state.imported?.verify).toBe('differs');
    expect(s.state.imported?.verifyDetail).toContain('999 (bundle)');
    await s.importBundle();
    identical = true;
    await s.verifyImport();
    expect(s.state.imported?.verify).toBe('verified');
  });

  it('a sweep imported as summaries fetches a run’s time series when it is opened (once)', async () => {
    const run = (seed: number, samples: Sample[]) => ({
      params: { 'vms.*.mapping': seed % 2 ? 'vm' : 'vpid', seed },
      layout,
      summary: { total: { mbps: seed }, vms: [] },
      timeseries: { samples },
      trace: { dispatch: [], activity: [], truncated: false },
    });
    const summaries = {
      name: 's',
      seed: 1,
      engine_version: '1',
      runs: [1, 2, 3, 4].map((k) => run(k, [])),
    } as unknown as ExperimentResult;
    const fetched: number[] = [];
    const { api } = fakeApi(
      async () => ({
        name: 's.pvblk.zip',
        spec: { name: 's', duration_s: 1 },
        result: summaries,
        charts: {},
        engineVersion: '1',
        created: 'now',
        verified: false as const,
        sweep: { id: 'sweep-1' },
      }),
      {
        bundleRun: async (id, index) => {
          expect(id).toBe('sweep-1');
          fetched.push(index);
          return run(index + 1, [sample(0.25), sample(0.5)]) as unknown as ExperimentResult['runs'][number];
        },
      },
    );
    const s = createStore(api);
    await s.init();
    await settle();
    await s.importBundle();
    await settle();
    expect(s.state.imported?.sweepId).toBe('sweep-1');
    // The first run opens by itself; the others keep their summaries until opened.
    expect(fetched).toEqual([0]);
    expect(s.runs.value[0].samples).toHaveLength(2);
    expect(s.runs.value[2].samples).toHaveLength(0);
    await s.openSweepRun(2);
    await s.openSweepRun(2);
    expect(fetched).toEqual([0, 2]);
    expect(s.runs.value[2].samples).toHaveLength(2);
    expect(s.runs.value[2].index).toBe(2);
    expect(s.runs.value.map((r) => r.result?.summary.total.mbps)).toEqual([1, 2, 3, 4]);
  });

  it('kernel backend: a machine without QEMU is an inline refusal naming the packages, and nothing starts', async () => {
    const error =
      '/nope/qemu not found; the kernel backend needs qemu-system-x86, busybox-static and fio (apt-get install qemu-system-x86 busybox-static fio)';
    const { api, started } = fakeApi(undefined, {
      checkKernel: async () => ({ ok: false, spec: false, error }),
    });
    const s = createStore(api);
    await s.init();
    await settle();
    s.state.backend = 'kernel';
    s.state.kernelQemu = '/nope/qemu';
    await s.run();
    expect(s.state.status).toBe('idle');
    expect(started).toEqual([]);
    expect(s.state.kernelCheck).toEqual({ ok: false, spec: false, error });
  });

  it('kernel backend: starts with its options, shows stages, overlays each run’s comparison simulation and exports both', async () => {
    const exported: unknown[] = [];
    const { api, emit, started } = fakeApi(undefined, {
      exportBundle: async (req) => {
        exported.push(req);
        return true;
      },
    });
    const s = createStore(api);
    await s.init();
    await settle();
    s.state.backend = 'kernel';
    s.state.kernelVcpus = 1;
    s.state.kernelDurationS = 4;
    s.state.kernelQemu = ' /usr/bin/qemu-system-x86_64 ';
    await s.run();
    expect(started[0]).toMatchObject({
      spec: { name: 'p', duration_s: 4 },
      kernel: { vcpus: 1, qemu: '/usr/bin/qemu-system-x86_64' },
    });
    expect((started[0] as { kernel: object }).kernel).not.toHaveProperty('kernel');
    emit('r1', {
      type: 'stage',
      runIndex: 0,
      stage: 'boot',
      message: 'booting Linux in QEMU',
      progress: 0.05,
    });
    emit('r1', {
      type: 'stage',
      runIndex: 0,
      stage: 'boot',
      message: 'booting Linux in QEMU',
      progress: 0.05,
      log: 'booting (TCG, 2 vCPU)',
    });
    expect(s.state.kernelStage).toEqual({ runIndex: 0, stage: 'boot', message: 'booting Linux in QEMU' });
    expect(s.state.kernelLog).toEqual(['booting (TCG, 2 vCPU)']);
    expect(s.state.progress).toBeGreaterThanOrEqual(0.05);
    const k = kernelResult('p');
    const sim = oneRunResult('p');
    emit('r1', { type: 'run-done', runIndex: 0, result: k.runs[0], sim: sim.runs[0] });
    expect(s.counterpart.value.map((r) => r.params)).toEqual([{ source: 'sim' }]);
    // nothing streamed: the run's series come from its result
    expect(s.runs.value[0].samples).toHaveLength(1);
    expect(s.runs.value[0].result).toBe(k.runs[0]);
    emit('r1', { type: 'done', result: { ...k, runs: [] } });
    expect(s.state.status).toBe('done');
    expect(s.state.canCompareBackends).toBe(true);
    expect(s.state.compareBackend).toBe('kernel');
    await s.exportBundle();
    expect(exported[0]).toMatchObject({ result: { runs: [sim.runs[0]] }, kernel: { backend: 'kernel' } });
    s.compareBackends();
    expect(s.runs.value.map((r) => r.params.source)).toEqual(['sim', 'kernel']);
    // another kernel duration is another experiment: nothing to compare with
    s.state.kernelDurationS = 8;
    s.refreshCanCompare();
    expect(s.state.canCompareBackends).toBe(false);
  });

  it('imports a kernel bundle: the simulation shown with the kernel overlaid, sim vs kernel, Verify sends the kernel result', async () => {
    const sim = oneRunResult('k');
    const kernel = kernelResult('k');
    const verified: unknown[] = [];
    const { api } = fakeApi(
      async () => ({
        name: 'k.pvblk.zip',
        spec: { name: 'k', duration_s: 1 },
        result: sim,
        kernel,
        charts: {},
        engineVersion: '1',
        created: 'now',
        verified: false as const,
      }),
      {
        verify: async (req) => {
          verified.push(req);
          return { identical: true, differenceCount: 0, differences: [] };
        },
      },
    );
    const s = createStore(api);
    await s.init();
    await settle();
    await s.importBundle();
    expect(s.state.imported?.backends).toBe('sim+kernel');
    expect(s.counterpart.value.map((r) => r.params.source)).toEqual(['kernel']);
    expect(s.state.canCompareBackends).toBe(true);
    expect(s.state.compareBackend).toBe('kernel');
    await s.verifyImport();
    expect(verified[0]).toMatchObject({ result: sim, kernel });
    expect(s.state.imported?.verify).toBe('verified');
    // no activity re-simulation of a comparison run (its spec has the guest overhead added)
    expect(await s.activityWindow(s.runs.value[0], 0, 1)).toBeNull();
    s.compareBackends();
    expect(s.runs.value.map((r) => r.params.source)).toEqual(['sim', 'kernel']);
  });
});
