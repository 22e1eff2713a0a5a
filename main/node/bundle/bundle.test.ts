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
import { buildBundle, THREADS_CSV_COLUMNS, VMS_CSV_COLUMNS } from './build';
import { BUNDLE_FORMAT, MANIFEST, README, RESULTS, SPEC } from './format';
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
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pvblk-bundle-'));
  spec = parseSpec(SPEC_INPUT);
  result = await runExperiment(spec, { jobs: 1 });
  file = join(dir, 'exp.pvblk.zip');
  await writeBundle(file, spec, result, { charts: { throughput: PNG } });
  bytes = new Uint8Array(readFileSync(file));
  bundle = await readBundle(file);
});

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
    expect(m.format_version).toBe(1);
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
    expect(vms[1].split(',').slice(0, 3)).toEqual([String(s0.t), 'vm1', String(s0.vm_mbps[0])]);
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
      await rebuild(bundle.files, { editManifest: (m) => Object.assign(m, { format_version: 2 }) }),
      'format-version',
      /unknown bundle format_version 2/,
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
