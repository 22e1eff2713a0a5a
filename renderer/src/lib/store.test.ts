// @vitest-environment happy-dom
import type { EventEnvelope, PvblkApi, RunEvent } from '@common/api';
import type { ExperimentResult, RunLayout, Sample } from '@common/result';
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
const sample = (t: number) => ({ t, total_mbps: 1, vm_mbps: [1] }) as unknown as Sample;

function fakeApi(importBundle: PvblkApi['importBundle'] = async () => null) {
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
        ? { ok: true, runs: 1 }
        : { ok: false, errors: [{ path: 'duration_s', message: 'Too small' }] },
    // Events of the new run arrive before startRun's reply, as they can over WebSocket.
    startRun: async () => {
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
    exportBundle: async () => true,
    importBundle,
    onEvent: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  return { api, emit };
}

const settle = () => new Promise((r) => setTimeout(r, 20));

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
    expect(s.state.status).toBe('stopped');
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
});
