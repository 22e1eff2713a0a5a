/**
 * A corpus of hostile bundles beyond the zip format (bundle.test.ts covers that): a small file
 * whose results.json inflates to tens of megabytes, a spec that pollutes prototypes or names an
 * inherited preset, a 10^8-run matrix, a spec over the cost limits, an oversized spec.json, and
 * forged numbers (imported "not verified"; a replay finds them). Each is a BundleError (the API: an
 * ApiError) before anything large is parsed, and nothing is polluted.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportConfirm, ImportedBundle } from '../../common/api';
import type { ExperimentResult } from '../../common/result';
import type { Spec } from '../../common/spec/schema';
import { parseSpec } from '../../common/spec/validate';
import { estimateSpecCost } from '../../engine/cost';
import { runExperiment } from '../runner';
import { ApiError, createApiHandler, importBundleBytes, verifyImport } from '../session/api-handler';
import { SessionManager } from '../session/manager';
import { buildBundle } from './build';
import { RESULTS, SPEC } from './format';
import { type Bundle, BundleError, type BundleErrorCode, readBundle } from './read';
import { rebuild } from './testing';
import { removeStaleTemps, writeFileAtomic } from './write';

const enc = new TextEncoder();
let spec: Spec;
let result: ExperimentResult;
let bytes: Uint8Array;
let bundle: Bundle;
const dir = mkdtempSync(join(tmpdir(), 'pvblk-hostile-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  spec = parseSpec({
    name: 'hostile',
    seed: 3,
    duration_s: 1,
    host: { scheduler: 'noop' },
    vms: [{ name: 'vm1', threads: [{ name: 'r', pattern: 'random', block_kb: 4 }] }],
  });
  result = await runExperiment(spec, { jobs: 1 });
  bytes = await buildBundle(spec, result);
  bundle = await readBundle(bytes);
});

async function rejects(b: Uint8Array, code: BundleErrorCode, re: RegExp, allowLarge = false): Promise<void> {
  let err: unknown;
  try {
    await readBundle(b, { allowLarge });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(BundleError);
  expect((err as BundleError).code).toBe(code);
  expect((err as Error).message).toMatch(re);
  // The app's import says the same, as an ApiError.
  await expect(importBundleBytes(b, 'x.pvblk.zip')).rejects.toBeInstanceOf(ApiError);
}

const withSpec = (raw: unknown) =>
  rebuild(bundle.files, { edit: (f) => f.set(SPEC, enc.encode(JSON.stringify(raw))) });

describe('hostile bundles: cost before parsing', () => {
  it('a small bundle whose results.json inflates far beyond what its spec can produce is refused before inflating', async () => {
    // 48 MiB of JSON whitespace around the real result: ~50 KiB deflated.
    const pad = new Uint8Array(48 * 1024 * 1024).fill(0x20);
    const real = bundle.files.get(RESULTS)!;
    const bomb = new Uint8Array(pad.length + real.length);
    bomb.set(pad);
    bomb.set(real, pad.length);
    const b = await rebuild(bundle.files, { edit: (f) => f.set(RESULTS, bomb) });
    expect(b.length).toBeLessThan(1024 * 1024);
    const bound = estimateSpecCost(spec, [spec]).total.resultJsonBytes;
    expect(bound).toBeLessThan(pad.length);
    await rejects(b, 'too-large', /results\.json: \d+ bytes, but a result of this spec takes at most/);
  });

  it('a spec over the cost limits is refused unless allowed, naming the estimate', async () => {
    const huge = {
      ...bundle.spec,
      duration_s: 86_400 * 7,
      sample_interval_ms: 1,
    };
    const b = await withSpec(huge);
    await rejects(b, 'too-large', /over the lab's limits.*--allow-large/);
    // Allowed (pvblk replay --allow-large), it is read.
    expect((await readBundle(b, { allowLarge: true })).spec.duration_s).toBe(86_400 * 7);

    // The app's import asks instead: the API answers the estimate and holds the bundle; confirmed
    // with that id it opens (no second upload), once; nothing else opens it.
    const call = createApiHandler(new SessionManager());
    const base64 = Buffer.from(b).toString('base64');
    const asked = (await call('importBundle', [{ base64, name: 'week.pvblk.zip' }])) as ImportConfirm;
    expect(asked.confirm.name).toBe('week.pvblk.zip');
    expect(asked.confirm.over.join('; ')).toMatch(/simulated requests|memory/);
    expect(asked.confirm.summary).toMatch(/requests.*memory/);
    await expect(call('importBundle', [{ confirm: 'another-id' }])).rejects.toThrow(/no longer held/);
    const opened = (await call('importBundle', [{ confirm: asked.confirm.id }])) as ImportedBundle;
    expect((opened.spec as Spec).duration_s).toBe(86_400 * 7);
    expect(opened.verified).toBe(false);
    await expect(call('importBundle', [{ confirm: asked.confirm.id }])).rejects.toThrow(/no longer held/);
  });

  it('a spec.json larger than any spec is refused before inflating', async () => {
    const big = enc.encode(`${JSON.stringify(bundle.spec)}${' '.repeat(17 * 1024 * 1024)}`);
    const b = await rebuild(bundle.files, { edit: (f) => f.set(SPEC, big) });
    await rejects(b, 'too-large', /spec\.json: \d+ bytes; a spec is at most/);
  });

  it('a 10^8-run matrix is an invalid spec, found without building the runs', async () => {
    const keys = ['iodepth', 'think_ms', 'block_kb', 'ioprio', 'count', 'offset_gb', 'start_s', 'rwmix_read'];
    const matrix = Object.fromEntries(
      keys.map((k) => [`vms.0.threads.0.${k}`, [1, 2, 3, 4, 5, 6, 7, 1, 2, 3]]),
    );
    await rejects(await withSpec({ ...bundle.spec, matrix }), 'invalid-spec', /100000000 runs; at most 1000/);
  });
});

describe('hostile bundles: names and paths', () => {
  it.each(['__proto__.polluted', 'constructor.prototype.polluted', 'vms.0.__proto__.polluted'])(
    'a matrix key %s is an invalid spec and pollutes nothing',
    async (key) => {
      await rejects(
        await withSpec({ ...bundle.spec, matrix: { [key]: [1, 2] } }),
        'invalid-spec',
        /matrix\./,
      );
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
  );

  it.each(['constructor', '__proto__', 'toString'])(
    'a disk preset named %s is an invalid spec',
    async (name) => {
      await rejects(
        await withSpec({ ...bundle.spec, disk: { preset: name } }),
        'invalid-spec',
        /disk: unknown preset/,
      );
    },
  );
});

describe('forged numbers', () => {
  it('an import is "not verified"; a replay finds a forged number and agrees with an honest file', async () => {
    const forged = JSON.parse(JSON.stringify(result)) as ExperimentResult;
    forged.runs[0].summary.total.mbps = 999_999;
    const b = await rebuild(bundle.files, {
      edit: (f) => f.set(RESULTS, enc.encode(JSON.stringify(forged))),
    });
    const imported = await importBundleBytes(b, 'forged.pvblk.zip');
    expect(imported.verified).toBe(false);
    const check = await verifyImport({ spec: imported.spec, result: imported.result });
    expect(check.identical).toBe(false);
    expect(check.differences.join('\n')).toContain('summary.total.mbps: 999999 (bundle)');
    const honest = await importBundleBytes(bytes, 'honest.pvblk.zip');
    expect(honest.verified).toBe(false);
    expect((await verifyImport({ spec: honest.spec, result: honest.result })).identical).toBe(true);
  }, 60_000);
});

describe('interrupted writes', () => {
  it("a killed writer's .tmp is removed by the next write of the same name; a live writer's and others' stay", async () => {
    const target = join(dir, 'x.pvblk.zip');
    const dead = join(dir, '.x.pvblk.zip.999999999.0123456789ab.tmp');
    const live = join(dir, `.x.pvblk.zip.${process.pid}.0123456789ab.tmp`);
    const other = join(dir, '.y.pvblk.zip.999999999.0123456789ab.tmp');
    const user = join(dir, '.x.pvblk.zip.notes.tmp');
    for (const p of [dead, live, other, user]) writeFileSync(p, 'partial');
    await writeFileAtomic(target, bytes);
    const { existsSync } = await import('node:fs');
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(other)).toBe(true);
    expect(existsSync(user)).toBe(true);
    expect(await removeStaleTemps(dir, 'y.pvblk.zip')).toEqual(['.y.pvblk.zip.999999999.0123456789ab.tmp']);
  });
});
