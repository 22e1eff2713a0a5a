import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ExperimentResult } from '../../common/result';
import type { Spec } from '../../common/spec/schema';
import { parseSpec } from '../../common/spec/validate';
import { ENGINE_VERSION } from '../../engine/version';
import { cmdReplay } from '../cli/replay';
import { runExperiment } from '../runner';
import { exportBundleBytes, importBundleBytes } from '../session/api-handler';
import { buildBundle, THREADS_CSV_COLUMNS, VMS_CSV_COLUMNS } from './build';
import { BUNDLE_FORMAT, MANIFEST, README, RESULTS, RESULTS_REAL, SPEC } from './format';
import { type Bundle, BundleError, type BundleErrorCode, readBundle } from './read';
import { compareResults, replayBundle } from './replay';
import { makeZip, rebuild } from './testing';
import { writeBundle } from './write';

const enc = new TextEncoder();
const dec = new TextDecoder();

const SPEC_INPUT = {
  name: 'bundle test',
  seed: 7,
  duration_s: 1,
  disk: { preset: 'sata-7200' },
  host: { scheduler: 'noop' as const },
  vms: [{ name: 'vm1', threads: [{ name: 'rand', pattern: 'random' as const, block_kb: 4 }] }],
  native: [{ name: 'seq, "quoted"', block_kb: 64 }],
};

let dir: string;
let spec: Spec;
let result: ExperimentResult;
let file: string;
let bytes: Uint8Array;
let bundle: Bundle;
/** A real-disk result of the same spec (the simulator's, marked as the real backend marks its results). */
let real: ExperimentResult;
/** A version 2 bundle with both: results.json (sim) and results-real.json. */
let both: Bundle;
let bothBytes: Uint8Array;
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pvblk-bundle-'));
  spec = parseSpec(SPEC_INPUT);
  result = await runExperiment(spec, { jobs: 1 });
  file = join(dir, 'exp.pvblk.zip');
  await writeBundle(file, spec, result, { charts: { throughput: PNG } });
  bytes = new Uint8Array(readFileSync(file));
  bundle = await readBundle(file);
  real = asReal(result);
  bothBytes = await buildBundle(spec, result, { real });
  both = await readBundle(bothBytes);
});

function asReal(r: ExperimentResult): ExperimentResult {
  const copy = JSON.parse(JSON.stringify(r)) as ExperimentResult & Record<string, unknown>;
  copy.backend = 'real';
  copy.runs = copy.runs.map((run) => ({
    ...run,
    summary: { ...run.summary, total: { ...run.summary.total, mbps: run.summary.total.mbps / 2 } },
    trace: { ...run.trace, dispatch: [] },
    real: {
      device: 'sda',
      partition: 'sda2',
      scheduler: 'mq-deadline',
      schedulers: ['none', 'mq-deadline'],
      rotational: true,
      dir: '/tmp/x',
      flags: [],
      files: [],
      scale: [],
      processes: [],
      mean_wait_ms: 0,
      mean_call_ms: 0,
      cgroups: null,
    },
  }));
  return copy;
}

/** Rewrites one JSON file of a bundle's files. */
function editJson(f: Map<string, Uint8Array>, name: string, change: (v: Record<string, unknown>) => unknown) {
  const v = JSON.parse(dec.decode(f.get(name)!)) as Record<string, unknown>;
  f.set(name, enc.encode(JSON.stringify(change(v) ?? v)));
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function rejects(
  input: Uint8Array,
  code: BundleErrorCode,
  message?: RegExp,
  limits?: object,
): Promise<BundleError> {
  const err = await readBundle(input, { limits }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BundleError);
  const be = err as BundleError;
  expect(be.code, be.message).toBe(code);
  if (message) expect(be.message).toMatch(message);
  return be;
}

describe('write → read round trip', () => {
  it('stores manifest, resolved spec, results, CSVs, trace, chart and README', () => {
    const m = bundle.manifest;
    expect(m.format).toBe(BUNDLE_FORMAT);
    expect(m.format_version).toBe(2);
    expect(m.engine_version).toBe(ENGINE_VERSION);
    expect(Number.isNaN(Date.parse(m.created))).toBe(false);
    expect(m.platform).toContain(process.platform);
    expect(Object.keys(m.files).sort()).toEqual(
      [
        'README.md',
        'charts/throughput.png',
        'results.json',
        'spec.json',
        'timeseries/run-0-threads.csv',
        'timeseries/run-0-total.csv',
        'timeseries/run-0-vms.csv',
        'trace.csv',
      ].sort(),
    );
    // Fully resolved spec: the disk preset is expanded, defaults are there.
    const stored = JSON.parse(dec.decode(bundle.files.get(SPEC)!));
    expect(stored.disk.kind).toBe('hdd');
    expect(stored.disk.name).toBe('sata-7200');
    expect(stored.vms[0].mapping).toBe('vm');
    expect(stored.sample_interval_ms).toBe(250);
    expect(bundle.spec.disk).toEqual(stored.disk);
    expect(bundle.results).toEqual(JSON.parse(JSON.stringify(result)));
    expect(bundle.charts['throughput.png']).toEqual(PNG);
    expect(bundle.readme).toContain('npx pvblk replay');
  });

  it('writes CSV time series with a header row and one row per sample per VM / thread', () => {
    const run = result.runs[0];
    const n = run.timeseries.samples.length;
    expect(n).toBeGreaterThan(0);
    const vms = dec.decode(bundle.files.get('timeseries/run-0-vms.csv')!).trimEnd().split('\n');
    expect(vms[0]).toBe(VMS_CSV_COLUMNS.join(','));
    expect(vms).toHaveLength(1 + n * run.layout.vms.length);
    const s0 = run.timeseries.samples[0];
    // t_s, interval_s (the first sample covers [0, t]), vm, mbps
    expect(vms[1].split(',').slice(0, 4)).toEqual([String(s0.t), String(s0.t), 'vm1', String(s0.vm_mbps[0])]);
    const threads = dec.decode(bundle.files.get('timeseries/run-0-threads.csv')!).trimEnd().split('\n');
    expect(threads[0]).toBe(THREADS_CSV_COLUMNS.join(','));
    expect(threads).toHaveLength(1 + n * run.layout.threads.length);
    expect(threads.join('\n')).toContain('"seq, ""quoted"""');
    const trace = bundle.trace!.trimEnd().split('\n');
    expect(trace[0]).toBe('run,t_s,pid,vm,thread,host_context,lba,sectors,bytes,op');
    expect(trace).toHaveLength(1 + run.trace.dispatch.length);
    expect(bundle.manifest.trace).toEqual({
      rows: run.trace.dispatch.length,
      truncated: run.trace.truncated,
    });
  });

  it('caps trace.csv and can leave it out', async () => {
    const capped = await readBundle(await buildBundle(spec, result, { traceMaxRows: 5 }));
    expect(capped.trace!.trimEnd().split('\n')).toHaveLength(6);
    expect(capped.manifest.trace).toEqual({ rows: 5, truncated: true });
    const none = await readBundle(await buildBundle(spec, result, { trace: false }));
    expect(none.trace).toBeUndefined();
    expect(none.files.has('trace.csv')).toBe(false);
  });
});

describe('replay', () => {
  it('replays identical', async () => {
    const r = await replayBundle(file, { jobs: 1 });
    expect(r.differences).toEqual([]);
    expect(r.identical).toBe(true);
    expect(r.engineVersionNote).toBeUndefined();
  });

  it('replays a matrix bundle identical, one CSV set per run', async () => {
    const m = parseSpec({ ...SPEC_INPUT, matrix: { 'vms.*.threads.*.block_kb': [4, 16] } });
    const res = await runExperiment(m, { jobs: 1 });
    const b = await buildBundle(m, res);
    const read = await readBundle(b);
    expect(read.files.has('timeseries/run-1-vms.csv')).toBe(true);
    const r = await replayBundle(b, { jobs: 1 });
    expect(r.identical).toBe(true);
    expect(r.runs).toBe(2);
  });

  it('lists a tampered summary number and sample value', async () => {
    const tampered = await rebuild(bundle.files, {
      edit: (f) => {
        const res = JSON.parse(dec.decode(f.get(RESULTS)!)) as ExperimentResult;
        res.runs[0].summary.vms[0].mbps = 41.2;
        res.runs[0].timeseries.samples[1].thread_p99[0] = 999;
        f.set(RESULTS, enc.encode(JSON.stringify(res)));
      },
    });
    const r = await replayBundle(tampered, { jobs: 1 });
    expect(r.identical).toBe(false);
    expect(r.differenceCount).toBe(2);
    expect(r.differences[0]).toMatch(
      /^runs\[0\]\.summary\.vms\[0\]\.mbps: 41\.2 \(bundle\) vs [\d.]+ \(now\)$/,
    );
    expect(r.differences[1]).toMatch(
      /^runs\[0\]\.timeseries\.samples\[1\]\.thread_p99\[0\]: 999 \(bundle\) vs/,
    );
  });

  it('caps the list with a count', () => {
    const other = JSON.parse(JSON.stringify(result)) as ExperimentResult;
    for (const s of other.runs[0].timeseries.samples) s.thread_mbps = s.thread_mbps.map((v) => v + 1);
    const n = other.runs[0].timeseries.samples.length * other.runs[0].layout.threads.length;
    const { differences, count } = compareResults(other, result, 3);
    expect(count).toBe(n);
    expect(differences).toHaveLength(4);
    expect(differences[3]).toContain(`(${n} in all)`);
  });

  it('notes a different engine version', async () => {
    const old = await rebuild(bundle.files, {
      edit: (f) => {
        const res = JSON.parse(dec.decode(f.get(RESULTS)!)) as ExperimentResult;
        res.engine_version = '0.0.1-old';
        f.set(RESULTS, enc.encode(JSON.stringify(res)));
      },
      editManifest: (m) => {
        m.engine_version = '0.0.1-old';
      },
    });
    const r = await replayBundle(old, { jobs: 1 });
    expect(r.engineVersionNote).toContain('0.0.1-old');
    expect(r.identical).toBe(true);
  });
});

describe('pvblk replay', () => {
  async function cli(args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
      out.push(String(s));
      return true;
    });
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
      err.push(String(s));
      return true;
    });
    try {
      const code = await cmdReplay(args);
      return { code, out: out.join(''), err: err.join('') };
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
  }

  it('exit 0 and "identical"', async () => {
    const r = await cli([file, '--jobs', '1']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^identical/);
  });

  it('is wired into pvblk', async () => {
    const { main } = await import('../cli/pvblk');
    const o = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await main(['replay', file, '--jobs', '1'])).toBe(0);
      expect(o.mock.calls.map((c) => String(c[0])).join('')).toMatch(/identical/);
      // pvblk run --out writes a bundle that replays identical.
      const specFile = join(dir, 'spec.json');
      const out = join(dir, 'cli.pvblk.zip');
      writeFileSync(specFile, JSON.stringify(SPEC_INPUT));
      expect(await main(['run', specFile, '--json', '--jobs', '1', '--out', out])).toBe(0);
      expect((await readBundle(out)).spec.disk).toMatchObject({ kind: 'hdd' });
      expect((await replayBundle(out, { jobs: 1 })).identical).toBe(true);
    } finally {
      o.mockRestore();
    }
  });

  it('a bundle with simulated and real results: "identical" with a note, and a --json field', async () => {
    const f = join(dir, 'both.pvblk.zip');
    writeFileSync(f, bothBytes);
    const r = await cli([f, '--jobs', '1']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^note: .*also holds real-disk results \(results-real\.json, 1 run\)/);
    expect(r.out).toMatch(/\nidentical \(1 run\)\n$/);
    const j = await cli([f, '--json', '--jobs', '1']);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.out)).toMatchObject({ identical: true, realResultsNotReplayed: true });
  });

  it('exit 1 with differences', async () => {
    const t = join(dir, 'tampered.pvblk.zip');
    writeFileSync(
      t,
      await rebuild(bundle.files, {
        edit: (f) => {
          const res = JSON.parse(dec.decode(f.get(RESULTS)!)) as ExperimentResult;
          res.runs[0].summary.total.iops += 1;
          f.set(RESULTS, enc.encode(JSON.stringify(res)));
        },
      }),
    );
    const r = await cli([t, '--jobs', '1']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('runs[0].summary.total.iops');
    const j = await cli([t, '--json', '--jobs', '1']);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.out).identical).toBe(false);
  });

  it('exit 2 for a broken bundle, naming the problem', async () => {
    const t = join(dir, 'broken.pvblk.zip');
    writeFileSync(t, bytes.slice(0, bytes.length - 10));
    const r = await cli([t]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(t);
    expect((await cli([join(dir, 'nope.zip')])).code).toBe(2);
    expect((await cli([])).code).toBe(2);
    expect((await cli([file, '--jobs', 'x'])).code).toBe(2);
  });
});

describe('hostile and broken bundles are rejected', () => {
  const entries = () => [...bundle.files].map(([name, data]) => ({ name, data }));

  it('not a zip, truncated', async () => {
    await rejects(enc.encode('hello, I am not a zip file at all'), 'not-zip');
    await rejects(new Uint8Array(0), 'not-zip');
    await rejects(bytes.slice(0, Math.floor(bytes.length / 2)), 'truncated');
    const e = await readBundle(bytes.slice(0, bytes.length - 1)).catch((x) => x);
    expect(e).toBeInstanceOf(BundleError);
    // Drop the end of the data but keep a plausible end record: data runs past the directory.
    await rejects(bytes.slice(0, 100), 'truncated');
  });

  it('".." entry', async () => {
    await rejects(
      makeZip([...entries(), { name: 'charts/../../evil.png', data: PNG }]),
      'unsafe-name',
      /"\.\." path segment/,
    );
    await rejects(makeZip([{ name: '../manifest.json', data: PNG }]), 'unsafe-name', /\.\./);
  });

  it('absolute paths, backslashes, drive letters', async () => {
    await rejects(
      makeZip([...entries(), { name: '/etc/passwd', data: PNG }]),
      'unsafe-name',
      /absolute path/,
    );
    await rejects(makeZip([...entries(), { name: 'charts\\x.png', data: PNG }]), 'unsafe-name', /backslash/);
    await rejects(makeZip([...entries(), { name: 'C:/x.png', data: PNG }]), 'unsafe-name', /drive letter/);
  });

  it('symlink entry', async () => {
    const e = await rejects(
      makeZip([...entries(), { name: 'charts/link.png', data: enc.encode('/etc/passwd'), mode: 0o120777 }]),
      'symlink',
      /charts\/link\.png.*symbolic link/,
    );
    expect(e.entry).toBe('charts/link.png');
  });

  it('duplicate names', async () => {
    await rejects(
      makeZip([...entries(), { name: SPEC, data: enc.encode('{}') }]),
      'duplicate',
      /"spec\.json" appears more than once/,
    );
  });

  it('wrong hash', async () => {
    const b = await rebuild(bundle.files, {
      rehash: false,
      edit: (f) => f.set(README, enc.encode('changed')),
    });
    await rejects(b, 'hash', /^README\.md: sha256/);
  });

  it('missing file listed in the manifest, files not listed, unknown files', async () => {
    await rejects(
      await rebuild(bundle.files, { rehash: false, edit: (f) => f.delete('timeseries/run-0-vms.csv') }),
      'missing-file',
      /timeseries\/run-0-vms\.csv is listed in the manifest but missing/,
    );
    await rejects(
      await rebuild(bundle.files, { rehash: false, edit: (f) => f.set('charts/extra.png', PNG) }),
      'unknown-file',
      /"charts\/extra\.png" is not listed in the manifest/,
    );
    await rejects(makeZip([...entries(), { name: 'run.sh', data: PNG }]), 'unknown-file', /"run\.sh"/);
    await rejects(
      await rebuild(bundle.files, { edit: (f) => f.delete(RESULTS) }),
      'missing-file',
      /results\.json is missing/,
    );
    await rejects(makeZip(entries().filter((e) => e.name !== MANIFEST)), 'missing-file', /no manifest\.json/);
  });

  it('zip bomb: declared size beyond the limit is refused before inflating', async () => {
    const zeros = new Uint8Array(8 * 1024 * 1024);
    const b = await rebuild(bundle.files, { edit: (f) => f.set('trace.csv', zeros) });
    expect(b.length).toBeLessThan(bytes.length + 64 * 1024);
    await rejects(b, 'too-large', /"trace\.csv" declares 8388608 bytes uncompressed; at most 1048576/, {
      maxFileBytes: 1024 * 1024,
    });
    await rejects(b, 'too-large', /in total/, { maxTotalBytes: 4 * 1024 * 1024 });
    await rejects(b, 'too-large', /entries; at most 3/, { maxEntries: 3 });
  });

  it('zip bomb: an entry inflating beyond its declared size is stopped while inflating', async () => {
    const zeros = new Uint8Array(16 * 1024 * 1024);
    const b = await rebuild(bundle.files, {
      extra: [{ name: 'charts/bomb.png', data: zeros, declaredSize: 1000 }],
      editManifest: (m) => {
        m.files['charts/bomb.png'] = '0'.repeat(64);
      },
    });
    expect(b.length).toBeLessThan(bytes.length + 256 * 1024);
    await rejects(b, 'too-large', /"charts\/bomb\.png" inflates beyond its declared 1000 bytes/);
  });

  it('unknown format version', async () => {
    await rejects(
      await rebuild(bundle.files, { editManifest: (m) => Object.assign(m, { format_version: 5 }) }),
      'format-version',
      /unknown bundle format_version 5 \(this app reads versions 1, 2, 3 and 4/,
    );
    await rejects(
      await rebuild(bundle.files, { editManifest: (m) => Object.assign(m, { format: 'something-else' }) }),
      'invalid-manifest',
    );
  });

  it('invalid spec, naming the field', async () => {
    const b = await rebuild(bundle.files, {
      edit: (f) => {
        const s = JSON.parse(dec.decode(f.get(SPEC)!));
        s.duration_s = -1;
        s.vms[0].bogus = true;
        f.set(SPEC, enc.encode(JSON.stringify(s)));
      },
    });
    const e = await rejects(b, 'invalid-spec', /^spec\.json: invalid spec/);
    expect(e.message).toContain('duration_s');
    expect(e.message).toContain('vms.0');
  });

  it('results.json not shaped like a result', async () => {
    const b = await rebuild(bundle.files, {
      edit: (f) => f.set(RESULTS, enc.encode(JSON.stringify({ name: 'x', runs: [{}] }))),
    });
    await rejects(b, 'invalid-results', /^results\.json: not a result JSON/);
    const c = await rebuild(bundle.files, { edit: (f) => f.set(RESULTS, enc.encode('{not json')) });
    await rejects(c, 'invalid-results', /not valid JSON/);
  });

  it('random byte corruption never throws anything but a BundleError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.option(fc.nat(), { nil: undefined }),
        async (edits, cut) => {
          let b = bytes.slice();
          for (const { at, value } of edits) b[at % b.length] = value;
          if (cut !== undefined) b = b.slice(0, cut % (b.length + 1));
          try {
            await readBundle(b);
          } catch (e) {
            if (!(e instanceof BundleError)) throw e;
            // 'internal' means an unexpected exception was caught by the safety net: a gap in the checks.
            expect(e.code).not.toBe('internal');
          }
        },
      ),
      { numRuns: 300 },
    );
    // Corruption aimed at the central directory and end record, where the parser does the most.
    const tail = Math.min(2000, bytes.length);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: tail - 1 }), fc.integer({ min: 0, max: 255 }), async (k, value) => {
        const b = bytes.slice();
        b[b.length - 1 - k] = value;
        try {
          await readBundle(b);
        } catch (e) {
          if (!(e instanceof BundleError)) throw e;
          expect(e.code).not.toBe('internal');
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('format version 2: simulated and real-disk results of the same spec', () => {
  it("stores results-real.json and its CSVs beside the simulator's results", () => {
    const names = Object.keys(both.manifest.files);
    expect(both.manifest.format_version).toBe(2);
    expect(names).toContain(RESULTS_REAL);
    for (const kind of ['vms', 'threads', 'total'])
      expect(names).toContain(`timeseries/real-run-0-${kind}.csv`);
    expect(both.results).toEqual(JSON.parse(JSON.stringify(result)));
    expect(both.realResults).toEqual(JSON.parse(JSON.stringify(real)));
    // Same columns, written by the same writers; the real numbers are the real result's.
    const simVms = dec.decode(both.files.get('timeseries/run-0-vms.csv')!);
    const realVms = dec.decode(both.files.get('timeseries/real-run-0-vms.csv')!);
    expect(realVms.split('\n')[0]).toBe(VMS_CSV_COLUMNS.join(','));
    expect(realVms).toBe(simVms);
    expect(dec.decode(both.files.get('timeseries/real-run-0-threads.csv')!).split('\n')[0]).toBe(
      THREADS_CSV_COLUMNS.join(','),
    );
    expect(both.readme).toContain('results-real.json');
    // trace.csv is the simulator's.
    expect(both.manifest.trace?.rows).toBe(result.runs[0].trace.dispatch.length);
    // A bundle without real results has none.
    expect(bundle.realResults).toBeUndefined();
  });

  it('replays the simulated part identical and says the real part is not re-measured', async () => {
    const r = await replayBundle(bothBytes, { jobs: 1 });
    expect(r.identical).toBe(true);
    expect(r.realResultsNotReplayed).toBe(true);
    expect(r.engineVersionNote).toMatch(/also holds real-disk results.*does not re-measure/);
    const plain = await replayBundle(bytes, { jobs: 1 });
    expect(plain.realResultsNotReplayed).toBe(false);
  });

  it('a real-only bundle (results.json with backend "real") is still read and noted on replay', async () => {
    const b = await readBundle(await buildBundle(spec, real));
    expect((b.results as { backend?: string }).backend).toBe('real');
    expect(b.realResults).toBeUndefined();
    const r = await replayBundle(await buildBundle(spec, real), { jobs: 1 });
    expect(r.realResultsNotReplayed).toBe(false);
    expect(r.engineVersionNote).toContain('measured on a real disk');
    expect(r.identical).toBe(false);
  });

  it('reads version 1 bundles unchanged, and refuses version 2 files in them', async () => {
    const v1 = await readBundle(
      await rebuild(bundle.files, { editManifest: (m) => Object.assign(m, { format_version: 1 }) }),
    );
    expect(v1.manifest.format_version).toBe(1);
    expect(v1.results).toEqual(bundle.results);
    await rejects(
      await rebuild(both.files, { editManifest: (m) => Object.assign(m, { format_version: 1 }) }),
      'unknown-file',
      /"results-real\.json" \(not part of bundle format 1\)/,
    );
  });

  it('the writer refuses a real part that is not real, or a real results.json beside one', async () => {
    await expect(buildBundle(spec, result, { real: result })).rejects.toThrow(/backend "real"/);
    await expect(buildBundle(spec, real, { real })).rejects.toThrow(/must be the simulator's/);
  });
});

describe('a real-disk result with runs not run here (not_run)', () => {
  // paper-fairness's matrix on a machine without weighted cgroups: vm and vpid ran, vpid-group did not
  const MATRIX_INPUT = {
    ...SPEC_INPUT,
    duration_s: 0.5,
    host: { scheduler: 'cfq' as const },
    vms: [
      {
        ...SPEC_INPUT.vms[0],
        image: { offset_gb: 0, size_gb: 40 },
        threads: [{ ...SPEC_INPUT.vms[0].threads[0], count: 2, size_gb: 4 }],
      },
    ],
    matrix: { 'vms.*.mapping': ['vm', 'vpid', 'vpid-group'] },
  };
  const REASON = "vpid-group: the VMs' weighted I/O cgroups are not available here: no bfq";
  let mSpec: Spec;
  let sim: ExperimentResult;
  /** The real result with matrix run `skip` not run. */
  const realWithout = (skip: number): ExperimentResult => {
    const r = asReal(sim);
    return {
      ...r,
      runs: r.runs.filter((_, i) => i !== skip),
      not_run: [{ index: skip, params: sim.runs[skip].params, status: 'not-run', reason: REASON }],
    };
  };
  beforeAll(async () => {
    mSpec = parseSpec(MATRIX_INPUT);
    sim = await runExperiment(mSpec, { jobs: 1 });
  });

  it('is bundled and read back with its not-run list; CSVs and README keep matrix indices', async () => {
    for (const skip of [2, 1]) {
      const realPart = realWithout(skip);
      const b = await readBundle(await buildBundle(mSpec, sim, { real: realPart }));
      expect(b.realResults).toEqual(JSON.parse(JSON.stringify(realPart)));
      expect(b.realResults?.not_run).toEqual([
        {
          index: skip,
          params: { 'vms.*.mapping': ['vm', 'vpid', 'vpid-group'][skip] },
          status: 'not-run',
          reason: REASON,
        },
      ]);
      // the CSVs of each real run are named by its matrix index; the skipped one has none
      for (const i of [0, 1, 2])
        expect(b.files.has(`timeseries/real-run-${i}-vms.csv`), `run ${i}`).toBe(i !== skip);
      expect(b.readme).toContain(`not run on this machine: run ${skip} (${REASON})`);
      // a real-only bundle keeps it too (results.json)
      const realOnly = await readBundle(await buildBundle(mSpec, realPart));
      expect(realOnly.results.not_run).toEqual(realPart.not_run);
    }
    const r = await replayBundle(await buildBundle(mSpec, sim, { real: realWithout(2) }), { jobs: 1 });
    expect(r.identical).toBe(true);
    expect(r.engineVersionNote).toContain('results-real.json, 2 runs, 1 not run');
  });

  it('the app exports and imports it unchanged (api-handler)', async () => {
    const realPart = realWithout(2);
    const { bytes: out } = await exportBundleBytes({ spec: MATRIX_INPUT, result: sim, real: realPart });
    const imported = await importBundleBytes(out, 'x.pvblk.zip');
    expect(imported.real?.not_run).toEqual(realPart.not_run);
    expect(imported.real?.runs).toHaveLength(2);
  });

  it('refuses not-run lists that do not fit the spec, naming the field', async () => {
    const bad = async (real: unknown, message: RegExp) =>
      expect(exportBundleBytes({ spec: MATRIX_INPUT, result: sim, real })).rejects.toThrow(message);
    const ok = realWithout(2);
    const entry = ok.not_run![0];
    await bad(
      { ...ok, not_run: [{ ...entry, index: 7 }] },
      /not_run: \[0\]: run 7 is outside the matrix's 3 runs/,
    );
    await bad(
      { ...ok, not_run: [{ ...entry, params: { 'vms.*.mapping': 'vm' } }] },
      /not_run: \[0\]\.params: .*but run 2 of the matrix is/,
    );
    await bad({ ...ok, not_run: [entry, entry] }, /not_run: \[1\]: run 2 is not after run 2/);
    await bad({ ...ok, not_run: [{ ...entry, status: 'skipped' }] }, /not a real-disk result JSON/);
    // the runs done must be the other runs, in matrix order
    await bad(
      { ...ok, runs: [ok.runs[1], ok.runs[0]] },
      /runs\[0\]\.params: .*stands for run 0 of the matrix/,
    );
    await bad({ ...ok, runs: ok.runs.slice(0, 1) }, /runs: 1 runs, but the spec has 2 besides the 1 not run/);
    await bad(
      {
        ...ok,
        runs: [],
        not_run: sim.runs.map((r, index) => ({ index, params: r.params, status: 'not-run', reason: REASON })),
      },
      /every run of the matrix is listed as not run/,
    );
    // only the real-disk backend leaves runs out: a simulated result never does
    await expect(
      exportBundleBytes({
        spec: MATRIX_INPUT,
        result: { ...sim, runs: sim.runs.slice(0, 2), not_run: ok.not_run },
      }),
    ).rejects.toThrow(/not_run: only a real-disk result/);
  });
});

describe("the app's export and import (api-handler)", () => {
  it('exports both results of the same spec and imports them back', async () => {
    const { bytes: out } = await exportBundleBytes({ spec: SPEC_INPUT, result, real });
    const read = await readBundle(out);
    expect(read.realResults).toEqual(JSON.parse(JSON.stringify(real)));
    const imported = await importBundleBytes(out, 'x.pvblk.zip');
    expect(imported.result).toEqual(read.results);
    expect(imported.real).toEqual(read.realResults);
    const plain = await importBundleBytes((await exportBundleBytes({ spec: SPEC_INPUT, result })).bytes, 'y');
    expect(plain.real).toBeUndefined();
    // A real result alone is still a real-only bundle.
    const realOnly = await importBundleBytes(
      (await exportBundleBytes({ spec: SPEC_INPUT, result: real })).bytes,
      'z',
    );
    expect((realOnly.result as { backend?: string }).backend).toBe('real');
  });

  it('checks the real result at the boundary like results-real.json, naming it', async () => {
    await expect(exportBundleBytes({ spec: SPEC_INPUT, result, real: result })).rejects.toThrow(
      /^real result: backend is null; expected "real"/,
    );
    await expect(exportBundleBytes({ spec: SPEC_INPUT, result: real, real })).rejects.toThrow(
      /^result: backend is "real"/,
    );
    await expect(
      exportBundleBytes({ spec: SPEC_INPUT, result, real: { ...real, runs: [...real.runs, ...real.runs] } }),
    ).rejects.toThrow(/^real result: runs: 2 runs, but the spec has 1/);
    await expect(
      exportBundleBytes({ spec: SPEC_INPUT, result, real: { backend: 'real', runs: 'many' } }),
    ).rejects.toThrow(/^real result: not a real-disk result JSON/);
    await expect(exportBundleBytes({ spec: SPEC_INPUT, result: { runs: [] } })).rejects.toThrow(
      /^result: not a result JSON/,
    );
  });
});

describe('hostile and broken real-disk results are rejected', () => {
  it('results-real.json not shaped like a real-disk result, naming the file and field', async () => {
    const notResult = await rebuild(both.files, {
      edit: (f) =>
        f.set(RESULTS_REAL, enc.encode(JSON.stringify({ backend: 'real', name: 'x', runs: [{}] }))),
    });
    const e = await rejects(notResult, 'invalid-results', /^results-real\.json: not a real-disk result JSON/);
    expect(e.entry).toBe(RESULTS_REAL);
    await rejects(
      await rebuild(both.files, { edit: (f) => f.set(RESULTS_REAL, enc.encode('{not json')) }),
      'invalid-results',
      /^results-real\.json: not valid JSON/,
    );
    await rejects(
      await rebuild(both.files, { edit: (f) => f.set(RESULTS_REAL, enc.encode('[1, 2]')) }),
      'invalid-results',
      /^results-real\.json: backend is null; expected "real"/,
    );
    // A run without its real block.
    const noBlock = await rebuild(both.files, {
      edit: (f) =>
        editJson(f, RESULTS_REAL, (v) => {
          delete (v.runs as Record<string, unknown>[])[0].real;
        }),
    });
    const nb = await rejects(noBlock, 'invalid-results', /^results-real\.json: not a real-disk result JSON/);
    expect(nb.message).toContain('runs.0.real');
    // A number that is not one.
    const badNum = await rebuild(both.files, {
      edit: (f) =>
        editJson(f, RESULTS_REAL, (v) => {
          (v.runs as { summary: { total: { mbps: unknown } } }[])[0].summary.total.mbps = 'fast';
        }),
    });
    const bn = await rejects(badNum, 'invalid-results', /results-real\.json/);
    expect(bn.message).toContain('runs.0.summary.total.mbps');
  });

  it('results-real.json must be a real-backend result of the same spec', async () => {
    await rejects(
      await rebuild(both.files, { edit: (f) => f.set(RESULTS_REAL, f.get(RESULTS)!) }),
      'invalid-results',
      /^results-real\.json: backend is null; expected "real"/,
    );
    await rejects(
      await rebuild(both.files, {
        edit: (f) =>
          editJson(f, RESULTS_REAL, (v) => {
            (v.runs as unknown[]).push((v.runs as unknown[])[0]);
          }),
      }),
      'invalid-results',
      /^results-real\.json: runs: 2 runs, but the spec has 1/,
    );
    await rejects(
      await rebuild(both.files, {
        edit: (f) =>
          editJson(f, RESULTS_REAL, (v) => {
            v.engine_version = '0.0.1-old';
          }),
      }),
      'invalid-results',
      /^results-real\.json: engine_version "0\.0\.1-old" differs from the manifest's/,
    );
    // results.json must stay the simulator's when results-real.json is there.
    await rejects(
      await rebuild(both.files, { edit: (f) => f.set(RESULTS, f.get(RESULTS_REAL)!) }),
      'invalid-results',
      /^results\.json: backend is "real"; beside results-real\.json it must hold the simulator's result/,
    );
  });

  it('results-real.json and its CSVs follow the manifest: listed, present, hashed', async () => {
    await rejects(
      await rebuild(both.files, { rehash: false, edit: (f) => f.delete(RESULTS_REAL) }),
      'missing-file',
      /results-real\.json is listed in the manifest but missing/,
    );
    await rejects(
      await rebuild(both.files, {
        editManifest: (m) => {
          delete m.files[RESULTS_REAL];
        },
      }),
      'unknown-file',
      /"results-real\.json" is not listed in the manifest/,
    );
    await rejects(
      await rebuild(both.files, {
        rehash: false,
        edit: (f) => editJson(f, RESULTS_REAL, (v) => Object.assign(v, { seed: 8 })),
      }),
      'hash',
      /^results-real\.json: sha256/,
    );
    await rejects(
      await rebuild(both.files, {
        rehash: false,
        edit: (f) => f.set('timeseries/real-run-0-total.csv', enc.encode('t_s\n')),
      }),
      'hash',
      /^timeseries\/real-run-0-total\.csv: sha256/,
    );
    // Names outside the format: leading zeros, other kinds.
    await rejects(
      await rebuild(both.files, {
        edit: (f) => f.set('timeseries/real-run-00-vms.csv', enc.encode('x')),
      }),
      'unknown-file',
      /"timeseries\/real-run-00-vms\.csv"/,
    );
    await rejects(
      await rebuild(both.files, { edit: (f) => f.set('results-sim.json', enc.encode('{}')) }),
      'unknown-file',
      /"results-sim\.json"/,
    );
  });

  it('results-real.json is held to the size limits before inflating', async () => {
    const padded = JSON.stringify({ ...real, padding: ' '.repeat(4 * 1024 * 1024) });
    const b = await rebuild(both.files, { edit: (f) => f.set(RESULTS_REAL, enc.encode(padded)) });
    await rejects(b, 'too-large', /"results-real\.json" declares \d+ bytes uncompressed; at most 1048576/, {
      maxFileBytes: 1024 * 1024,
    });
    // Within the limits the same bundle reads.
    expect((await readBundle(b)).realResults?.runs).toHaveLength(1);
  });

  it('random byte corruption of a version 2 bundle never throws anything but a BundleError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), {
          minLength: 1,
          maxLength: 8,
        }),
        async (edits) => {
          const b = bothBytes.slice();
          for (const { at, value } of edits) b[at % b.length] = value;
          try {
            await readBundle(b);
          } catch (e) {
            if (!(e instanceof BundleError)) throw e;
            expect(e.code).not.toBe('internal');
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('atomic write', () => {
  it('a failing write leaves nothing under the final name and no temp file', async () => {
    const d = mkdtempSync(join(dir, 'atomic-'));
    const target = join(d, 'x.pvblk.zip');
    await expect(
      writeBundle(target, spec, result, undefined, {
        beforeRename: (temp) => {
          expect(existsSync(temp)).toBe(true);
          throw new Error('disk full (simulated)');
        },
      }),
    ).rejects.toThrow('disk full');
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(d)).toEqual([]);
  });

  it('an existing bundle stays intact when overwriting fails', async () => {
    const d = mkdtempSync(join(dir, 'atomic-'));
    const target = join(d, 'x.pvblk.zip');
    writeFileSync(target, bytes);
    await expect(writeBundle(target, spec, result, { charts: { 'bad/name': PNG } })).rejects.toThrow(
      /chart name/,
    );
    await expect(
      writeBundle(target, spec, result, undefined, {
        beforeRename: () => {
          throw new Error('crash');
        },
      }),
    ).rejects.toThrow('crash');
    expect(readFileSync(target)).toEqual(Buffer.from(bytes));
    expect(readdirSync(d)).toEqual(['x.pvblk.zip']);
  });

  it('fails cleanly into a missing directory', async () => {
    await expect(writeBundle(join(dir, 'no', 'such', 'x.pvblk.zip'), spec, result)).rejects.toThrow();
    expect(existsSync(join(dir, 'no'))).toBe(false);
  });
});
