/**
 * Bundles with a kernel result (format version 4): results-kernel.json (`pvblk kernel`, the UI's
 * kernel backend) beside results.json, its comparison simulation (the spec with each run's measured
 * guest overhead). Written, read, replayed (the simulation re-simulated with the stored overhead,
 * the kernel part noted), the pre-4 form (the simulation in the kernel result's `simulated` field)
 * still read, and hostile or broken kernel parts refused with the file and field named.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ExperimentResult } from '../../common/result';
import type { Spec } from '../../common/spec/schema';
import { parseSpec } from '../../common/spec/validate';
import { ENGINE_VERSION } from '../../engine/version';
import { kernelSimRuns } from '../kernel/sim-spec';
import { kernelShaped, overheadsOnly } from '../kernel/testing';
import { runTasks } from '../runner';
import { exportBundleBytes, importBundleBytes, verifyImport } from '../session/api-handler';
import { buildBundle, VMS_CSV_COLUMNS } from './build';
import { MANIFEST, RESULTS, RESULTS_KERNEL } from './format';
import { type Bundle, BundleError, type BundleErrorCode, readBundle } from './read';
import { replayBundle } from './replay';
import { rebuild } from './testing';

const enc = new TextEncoder();
const dec = new TextDecoder();

const SPEC_INPUT = {
  name: 'kernel bundle',
  seed: 5,
  duration_s: 1,
  disk: { preset: 'sata-7200' },
  host: { scheduler: 'bfq' as const },
  vms: [
    { name: 'A', threads: [{ name: 'a', pattern: 'sequential' as const, block_kb: 64 }] },
    { name: 'B', threads: [{ name: 'b', pattern: 'sequential' as const, block_kb: 64 }] },
  ],
  matrix: { 'vms.*.mapping': ['vm', 'vpid'] },
};

let spec: Spec;
/** A kernel result (the shape runKernel gives; its numbers are a simulation's, marked as the kernel's). */
let kernel: ExperimentResult;
/** Its comparison simulation: each run's guest plan with the run's overhead. */
let sim: ExperimentResult;
let bytes: Uint8Array;
let bundle: Bundle;

async function rejects(input: Uint8Array, code: BundleErrorCode, message: RegExp): Promise<BundleError> {
  const err = await readBundle(input).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BundleError);
  const be = err as BundleError;
  expect(be.code, be.message).toBe(code);
  expect(be.message).toMatch(message);
  return be;
}

beforeAll(async () => {
  spec = parseSpec(SPEC_INPUT);
  const header = { name: spec.name, seed: spec.seed, engine_version: '' };
  // The kernel runs "measured" 850 and 1200 µs per request; the comparison simulation uses them.
  const overhead = [850, 1200];
  const simRuns = await runTasks(kernelSimRuns(spec, overheadsOnly(header, overhead)), { jobs: 1 });
  sim = { name: spec.name, seed: spec.seed, engine_version: ENGINE_VERSION, runs: simRuns };
  kernel = kernelShaped(sim, overhead, 3);
  bytes = await buildBundle(spec, sim, { kernel });
  bundle = await readBundle(bytes);
});

describe('format version 4: a kernel result beside its comparison simulation', () => {
  it('stores results-kernel.json and its CSVs; results.json is the simulation', () => {
    const names = Object.keys(bundle.manifest.files);
    expect(bundle.manifest.format_version).toBe(4);
    expect(names).toContain(RESULTS_KERNEL);
    for (const i of [0, 1])
      for (const kind of ['vms', 'threads', 'total'])
        expect(names).toContain(`timeseries/kernel-run-${i}-${kind}.csv`);
    expect(bundle.results).toEqual(JSON.parse(JSON.stringify(sim)));
    expect(bundle.kernelResults).toEqual(JSON.parse(JSON.stringify(kernel)));
    expect(dec.decode(bundle.files.get('timeseries/kernel-run-0-vms.csv')!).split('\n')[0]).toBe(
      VMS_CSV_COLUMNS.join(','),
    );
    expect(bundle.readme).toContain('results-kernel.json');
    expect(bundle.readme).toContain('bundle format 4');
  });

  it('replays the simulation identical (with the stored overheads) and notes the kernel part', async () => {
    const r = await replayBundle(bytes, { jobs: 1 });
    expect(r.differences).toEqual([]);
    expect(r.identical).toBe(true);
    expect(r.runs).toBe(2);
    expect(r.kernelResultsNotReplayed).toBe(true);
    expect(r.realResultsNotReplayed).toBe(false);
    expect(r.engineVersionNote).toMatch(
      /also holds kernel results \(results-kernel\.json, 2 runs, Linux 6\.1\.0-57-amd64 under TCG\).*does not re-run the kernel/,
    );
  });

  it('a changed overhead makes the replay differ (the overhead is what the comparison simulated)', async () => {
    const forged = kernelShaped(sim, [850, 5000]);
    const r = await replayBundle(await buildBundle(spec, sim, { kernel: forged }), { jobs: 1 });
    expect(r.identical).toBe(false);
    expect(r.differences.filter((d) => !d.startsWith('…')).every((d) => d.startsWith('runs[1]'))).toBe(true);
  });

  it('the dispatch gap is replayed too: a changed one differs', async () => {
    const forged = JSON.parse(JSON.stringify(kernel)) as { runs: { kernel: Record<string, unknown> }[] };
    forged.runs[0].kernel.sim_dispatch_latency_us = 4000;
    const r = await replayBundle(
      await buildBundle(spec, sim, { kernel: forged as unknown as ExperimentResult }),
      { jobs: 1 },
    );
    expect(r.identical).toBe(false);
    expect(r.differences.filter((d) => !d.startsWith('…')).every((d) => d.startsWith('runs[0]'))).toBe(true);
  });

  it('reads a kernel bundle of before version 4 (the simulation in the kernel result\'s "simulated")', async () => {
    const old = await buildBundle(spec, { ...kernel, simulated: sim } as ExperimentResult);
    const b = await readBundle(old);
    expect(b.manifest.format_version).toBe(2);
    expect(b.results).toEqual(JSON.parse(JSON.stringify(sim)));
    expect(b.kernelResults).toEqual(JSON.parse(JSON.stringify(kernel)));
    expect(b.kernelResults).not.toHaveProperty('simulated');
    const r = await replayBundle(old, { jobs: 1 });
    expect(r.identical).toBe(true);
    expect(r.kernelResultsNotReplayed).toBe(true);
  });

  it('refuses the kernel files in a bundle of an older version, by name', async () => {
    for (const v of [1, 2, 3])
      await rejects(
        await rebuild(bundle.files, { editManifest: (m) => Object.assign(m, { format_version: v }) }),
        'unknown-file',
        new RegExp(
          `"(results-kernel\\.json|timeseries/kernel-run-0-\\w+\\.csv)" \\(not part of bundle format ${v}\\)`,
        ),
      );
  });
});

describe('hostile and broken kernel results are rejected', () => {
  const withKernel = (raw: unknown) =>
    rebuild(bundle.files, { edit: (f) => f.set(RESULTS_KERNEL, enc.encode(JSON.stringify(raw))) });

  it('results-kernel.json not shaped like a kernel result, naming the file and field', async () => {
    const e = await rejects(
      await withKernel({ backend: 'kernel', name: 'x', runs: [{}] }),
      'invalid-results',
      /^results-kernel\.json: not a kernel result JSON/,
    );
    expect(e.entry).toBe(RESULTS_KERNEL);
    await rejects(
      await withKernel({ ...kernel, backend: 'real' }),
      'invalid-results',
      /^results-kernel\.json: backend is "real"; expected "kernel"/,
    );
    await rejects(
      await rebuild(bundle.files, { edit: (f) => f.set(RESULTS_KERNEL, enc.encode('{nope')) }),
      'invalid-results',
      /^results-kernel\.json: not valid JSON/,
    );
    // a run without its kernel block, or an overhead that is not a whole, sane number of µs
    const noBlock = JSON.parse(JSON.stringify(kernel)) as { runs: Record<string, unknown>[] };
    delete noBlock.runs[1].kernel;
    await rejects(await withKernel(noBlock), 'invalid-results', /runs\.1\.kernel/);
    for (const bad of [-1, 1.5, '850', 1e12, null]) {
      const k = JSON.parse(JSON.stringify(kernel)) as { runs: { kernel: Record<string, unknown> }[] };
      k.runs[0].kernel.sim_overhead_us = bad;
      await rejects(await withKernel(k), 'invalid-results', /runs\.0\.kernel\.sim_overhead_us/);
    }
    const accel = JSON.parse(JSON.stringify(kernel)) as { runs: { kernel: Record<string, unknown> }[] };
    accel.runs[0].kernel.accel = 'hvf';
    await rejects(await withKernel(accel), 'invalid-results', /runs\.0\.kernel\.accel/);
  });

  it('run counts must match the spec and the comparison simulation', async () => {
    await rejects(
      await withKernel({ ...kernel, runs: kernel.runs.slice(0, 1) }),
      'invalid-results',
      /^results-kernel\.json: runs: 1 runs, but the spec has 2/,
    );
  });

  it("results.json beside results-kernel.json must be the simulator's", async () => {
    await rejects(
      await rebuild(bundle.files, { edit: (f) => f.set(RESULTS, enc.encode(JSON.stringify(kernel))) }),
      'invalid-results',
      /^results\.json: backend is "kernel"; beside results-kernel\.json it must hold the simulator's result/,
    );
  });

  it('a pre-4 kernel bundle whose "simulated" part is broken is refused, naming it', async () => {
    const old = await buildBundle(spec, {
      ...kernel,
      simulated: { runs: 'x' },
    } as unknown as ExperimentResult);
    await rejects(old, 'invalid-results', /^results\.json \(simulated\): not a result JSON/);
  });

  it('a sweep shard cannot carry a kernel result', async () => {
    await rejects(
      await rebuild(bundle.files, {
        editManifest: (m) =>
          Object.assign(m, {
            format_version: 4,
            sweep: { shard: 1, shards: 1, runs_total: 2, indices: [0, 1], spec_sha256: m.files['spec.json'] },
          }),
      }),
      'invalid-manifest',
      /sweep: a sweep shard holds simulated results only/,
    );
  });

  it('a manifest that lists results-kernel.json without the file is refused', async () => {
    await rejects(
      await rebuild(bundle.files, { edit: (f) => f.delete(RESULTS_KERNEL), rehash: false }),
      'missing-file',
      /results-kernel\.json is listed in the manifest but missing/,
    );
    expect(bundle.files.has(MANIFEST)).toBe(true);
  });
});

describe("the app's export, import and Verify of kernel results (api-handler)", () => {
  it('exports both and imports them back; Verify re-simulates with the kernel overheads', async () => {
    const { bytes: out } = await exportBundleBytes({ spec: SPEC_INPUT, result: sim, kernel });
    const imported = await importBundleBytes(out, 'k.pvblk.zip');
    expect(imported.kernel).toEqual(JSON.parse(JSON.stringify(kernel)));
    expect(imported.result).toEqual(JSON.parse(JSON.stringify(sim)));
    expect(imported.sweep).toBeUndefined();
    const v = await verifyImport({ spec: imported.spec, result: imported.result, kernel: imported.kernel });
    expect(v).toMatchObject({ identical: true, differenceCount: 0 });
    // without the kernel result, the plain simulation of the spec is not what was stored
    const plain = await verifyImport({ spec: imported.spec, result: imported.result });
    expect(plain.identical).toBe(false);
  });

  it('checks the kernel result at the boundary, naming it', async () => {
    await expect(exportBundleBytes({ spec: SPEC_INPUT, result: sim, kernel: sim })).rejects.toThrow(
      /^kernel result: backend is null; expected "kernel"/,
    );
    await expect(exportBundleBytes({ spec: SPEC_INPUT, result: kernel, kernel })).rejects.toThrow(
      /^result: backend is "kernel"/,
    );
    await expect(
      verifyImport({ spec: SPEC_INPUT, result: sim, kernel: { backend: 'kernel', runs: 'many' } }),
    ).rejects.toThrow(/^kernel result: not a kernel result JSON/);
  });
});
