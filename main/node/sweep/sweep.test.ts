import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportedBundle } from '../../common/api';
import { parseSpec } from '../../common/spec/validate';
import { buildBundle } from '../bundle/build';
import { BundleError, readBundle } from '../bundle/read';
import { replayBundle } from '../bundle/replay';
import { rebuild } from '../bundle/testing';
import { engineNodeFlags } from '../node-flags';
import { runExperiment } from '../runner';
import { createApiHandler } from '../session/api-handler';
import { SessionManager } from '../session/manager';
import { estimateRun, estimateSweep } from './cost';
import { MergeError, mergeShardFiles } from './merge';
import { writeShard } from './run-shard';
import { parseShard, shardFileName, shardIndices, shardOf } from './shard';
import { arrayScript, mergeScript, type SlurmPlan, shq, slurmTime, submitScript } from './slurm';
import { testVms } from './testing';

/** 12 short runs: 3 mappings × 2 schedulers × 2 seeds. */
const SPEC = {
  name: 'sweep test',
  seed: 5,
  duration_s: 0.2,
  sample_interval_ms: 50,
  host: { scheduler: 'cfq' },
  vms: testVms(),
  matrix: { 'vms.*.mapping': ['vm', 'vpid', 'vpid-group'], 'host.scheduler': ['cfq', 'bfq'], seed: [1, 2] },
};

const dir = mkdtempSync(join(tmpdir(), 'pvblk-sweep-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const spec = parseSpec(SPEC);
const created = new Date('2026-01-01T00:00:00Z');
const fixed = { created, platform: 'test', appVersion: '0.0.0' };

describe('shards', () => {
  it('every run belongs to exactly one shard, i mod N + 1, in ascending order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 40 }), (total, n) => {
        const seen = new Array<number>(total).fill(0);
        for (let s = 1; s <= n; s++) {
          const idx = shardIndices(total, s, n);
          idx.forEach((i, k) => {
            expect(shardOf(i, n)).toBe(s);
            if (k > 0) expect(i).toBeGreaterThan(idx[k - 1]);
            seen[i]++;
          });
          // Balanced: shard sizes differ by at most one.
          expect(Math.abs(idx.length - total / n)).toBeLessThan(1);
        }
        expect(seen.every((c) => c === 1)).toBe(true);
      }),
    );
  });

  it('--shard I/N and auto/N from the batch systems’ index variables', () => {
    expect(parseShard('3/8', {})).toEqual({ shard: 3, shards: 8, source: '--shard' });
    expect(parseShard('auto/4', { SLURM_ARRAY_TASK_ID: '4' }).shard).toBe(4);
    // Kubernetes Indexed Jobs count from 0.
    expect(parseShard('auto/4', { JOB_COMPLETION_INDEX: '0' })).toEqual({
      shard: 1,
      shards: 4,
      source: 'JOB_COMPLETION_INDEX=0',
    });
    expect(parseShard('auto/4', { PARALLEL_SEQ: '2' }).shard).toBe(2);
    expect(parseShard('auto/4', { SLURM_ARRAY_TASK_ID: '1', PARALLEL_SEQ: '3' }).shard).toBe(1);
    expect(() => parseShard('auto/4', {})).toThrow(
      /none of SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, PARALLEL_SEQ/,
    );
    expect(() => parseShard('auto/4', { SLURM_ARRAY_TASK_ID: '0' })).toThrow(/outside 1\.\.4.*--array=1-N/);
    expect(() => parseShard('auto/4', { JOB_COMPLETION_INDEX: '4' })).toThrow(/shard 5 .* outside 1\.\.4/);
    expect(() => parseShard('auto/4', { PARALLEL_SEQ: 'x' })).toThrow(/not a non-negative integer/);
    for (const bad of ['0/4', '5/4', '1/0', '1', 'a/b', '-1/4', '1/4/2', ''])
      expect(() => parseShard(bad, {})).toThrow(/--shard/);
    expect(shardFileName(2, 16)).toBe('shard-2-of-16.pvblk.zip');
  });
});

describe('sweep and merge', () => {
  const shardPaths: string[] = [];
  let local: Uint8Array;

  beforeAll(async () => {
    for (let s = 1; s <= 3; s++) shardPaths.push((await writeShard(spec, s, 3, dir, { jobs: 1 })).path);
    local = await buildBundle(spec, await runExperiment(spec, { jobs: 1 }), fixed);
  });

  it('a shard bundle holds its runs, their indices and the spec hash (format 3), and replays identical', async () => {
    const b = await readBundle(shardPaths[1]);
    expect(b.manifest.format_version).toBe(3);
    expect(b.manifest.sweep).toEqual({
      shard: 2,
      shards: 3,
      runs_total: 12,
      indices: [1, 4, 7, 10],
      spec_sha256: b.manifest.files['spec.json'],
    });
    expect(b.results.runs.map((r) => r.params.seed)).toEqual([2, 1, 2, 1]);
    expect([...b.files.keys()].filter((f) => f.startsWith('timeseries/')).sort()).toEqual(
      [1, 4, 7, 10]
        .flatMap((i) => ['total', 'threads', 'vms'].map((k) => `timeseries/run-${i}-${k}.csv`))
        .sort(),
    );
    expect(b.files.has('trace.csv')).toBe(false);
    const r = await replayBundle(shardPaths[1], { jobs: 1 });
    expect(r.identical).toBe(true);
    expect(r.runs).toBe(4);
  });

  it('merged shards are byte-identical to one local run (the whole zip, with the same manifest time)', async () => {
    const merged = await mergeShardFiles([shardPaths[2], shardPaths[0], shardPaths[1]]);
    const bytes = await buildBundle(merged.spec, merged.result, fixed);
    expect(Buffer.from(bytes).equals(Buffer.from(local))).toBe(true);
  });

  it('the app imports a sweep as summaries and fetches a run in full when it is opened', async () => {
    const call = createApiHandler(new SessionManager());
    const imported = (await call('importBundle', [
      { base64: Buffer.from(local).toString('base64'), name: 'sweep.pvblk.zip' },
    ])) as ImportedBundle;
    const id = imported.sweep?.id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const full = (await readBundle(local)).results;
    expect(imported.result.runs.map((r) => r.summary)).toEqual(full.runs.map((r) => r.summary));
    expect(
      imported.result.runs.every((r) => r.timeseries.samples.length === 0 && r.trace.dispatch.length === 0),
    ).toBe(true);
    expect(await call('bundleRun', [id, 7])).toEqual(full.runs[7]);
    await expect(call('bundleRun', [id, 12])).rejects.toThrow(/run 12: the sweep has 12 runs/);
    // Only the last two imports are held.
    for (let k = 0; k < 2; k++)
      await call('importBundle', [
        { base64: Buffer.from(local).toString('base64'), name: 'again.pvblk.zip' },
      ]);
    await expect(call('bundleRun', [id, 0])).rejects.toThrow(/no longer held/);
  });

  it('a missing shard is named with the command that reruns it', async () => {
    const e = await mergeShardFiles([shardPaths[0]]).catch((x) => x);
    expect(e).toBeInstanceOf(MergeError);
    expect(e.message).toContain('missing 2 shards of 3: 2, 3 (8 runs of 12)');
    expect(e.message).toContain(`pvblk sweep ${shardPaths[0]} --shard 2/3 --out ${dir}`);
    expect(e.message).toContain(`pvblk sweep ${shardPaths[0]} --shard 3/3 --out ${dir}`);
  });

  it('duplicates, shards of another spec or engine, non-shards and tampered shards are refused', async () => {
    await expect(mergeShardFiles([...shardPaths, shardPaths[1]])).rejects.toThrow(/shard 2 of 3 given twice/);
    const other = join(dir, 'other');
    const o = await writeShard(parseSpec({ ...SPEC, seed: 6 }), 2, 3, other, { jobs: 1 });
    await expect(mergeShardFiles([shardPaths[0], o.path, shardPaths[2]])).rejects.toThrow(
      /spec \(sha256 of spec\.json\) .* differs .*not of the same sweep/,
    );
    const four = await writeShard(spec, 2, 4, join(dir, 'four'), { jobs: 1 });
    await expect(mergeShardFiles([shardPaths[0], four.path])).rejects.toThrow(/number of shards 4 differs/);
    const plain = join(dir, 'plain.pvblk.zip');
    writeFileSync(plain, local);
    await expect(mergeShardFiles([plain, ...shardPaths])).rejects.toThrow(/not a sweep shard/);
    const b = await readBundle(shardPaths[0]);
    const engine = join(dir, 'engine.pvblk.zip');
    writeFileSync(
      engine,
      await rebuild(b.files, {
        edit: (f) => {
          const r = JSON.parse(new TextDecoder().decode(f.get('results.json')));
          r.engine_version = '0.0.1';
          f.set('results.json', new TextEncoder().encode(JSON.stringify(r)));
        },
        editManifest: (m) => Object.assign(m, { engine_version: '0.0.1' }),
      }),
    );
    await expect(mergeShardFiles([engine, shardPaths[1], shardPaths[2]])).rejects.toThrow(/engine version/);
    const tampered = join(dir, 'tampered.pvblk.zip');
    writeFileSync(
      tampered,
      await rebuild(b.files, {
        rehash: false,
        edit: (f) => f.set('results.json', new TextEncoder().encode('{}')),
      }),
    );
    const t = await mergeShardFiles([tampered, shardPaths[1], shardPaths[2]]).catch((x) => x);
    expect(t).toBeInstanceOf(BundleError);
    expect(t.code).toBe('hash');
  });

  it('a shard whose indices or params do not match its matrix is refused on read', async () => {
    const b = await readBundle(shardPaths[0]);
    const sweep = b.manifest.sweep;
    if (!sweep) throw new Error('shard');
    const wrongIndices = await rebuild(b.files, {
      editManifest: (m) => Object.assign(m, { sweep: { ...sweep, indices: [0, 3, 6, 10] } }),
    });
    await expect(readBundle(wrongIndices)).rejects.toThrow(
      /runs\[3\]\.params: .* but run 10 of the matrix is/,
    );
    const unsorted = await rebuild(b.files, {
      editManifest: (m) => Object.assign(m, { sweep: { ...sweep, indices: [3, 0, 6, 9] } }),
    });
    await expect(readBundle(unsorted)).rejects.toThrow(/indices\[1\]: run 0 is not after run 3/);
    const badHash = await rebuild(b.files, {
      editManifest: (m) => Object.assign(m, { sweep: { ...sweep, spec_sha256: '0'.repeat(64) } }),
    });
    await expect(readBundle(badHash)).rejects.toThrow(/spec_sha256 0+ is not the sha256 of spec\.json/);
    const v2 = await rebuild(b.files, { editManifest: (m) => Object.assign(m, { format_version: 2 }) });
    await expect(readBundle(v2)).rejects.toThrow(/a sweep shard needs format_version 3/);
  });
});

describe('cost estimate', () => {
  it('scales with duration and threads, and the sample bounds the work', () => {
    const one = estimateRun(parseSpec({ ...SPEC, matrix: undefined }));
    const longer = estimateRun(parseSpec({ ...SPEC, matrix: undefined, duration_s: 2 }));
    expect(longer.requests).toBeCloseTo(one.requests * 10, -1);
    expect(longer.seconds).toBeGreaterThan(one.seconds);
    const c = estimateSweep(spec, { sample: 5 });
    expect(c.runs).toBe(12);
    expect(c.sampled).toBe(5);
    expect(c.total.seconds).toBeCloseTo(c.perRun.mean.seconds * 12);
    // A sequential reader on an idle 7200 rpm disk: bounded by the media rate, not infinite.
    const seq = estimateRun(
      parseSpec({
        name: 's',
        duration_s: 1,
        vms: [{ name: 'a', threads: [{ name: 'r', block_kb: 1024, iodepth: 32 }] }],
      }),
    );
    expect(seq.requests).toBeGreaterThan(50);
    expect(seq.requests).toBeLessThan(300);
  });
});

describe('Slurm scripts', () => {
  const plan: SlurmPlan = {
    name: "it's a sweep",
    specArgs: ['/data/my spec.json'],
    runs: 200,
    shards: 4,
    outDir: '/scratch/out dir',
    mergedPath: '/scratch/out dir/its.pvblk.zip',
    cpusPerTask: 2,
    time: '00:30:00',
    mergeTime: '00:10:00',
    partition: 'short',
    maxRuns: 100000,
    node: '/opt/node/bin/node',
    pvblk: '/repo/bin/pvblk.mjs',
  };

  it('one array task per shard, --jobs from the task’s CPUs, absolute node and pvblk, a dependent merge', () => {
    const a = arrayScript(plan);
    expect(a).toMatch(/^#!\/bin\/bash\n/);
    for (const line of [
      '#SBATCH --array=1-4',
      '#SBATCH --cpus-per-task=2',
      '#SBATCH --time=00:30:00',
      '#SBATCH --partition=short',
      '#SBATCH --output=/scratch/out dir/slurm-%A_%a.out',
    ])
      expect(a).toContain(line);
    expect(a).toContain(
      `exec ${['/opt/node/bin/node', ...engineNodeFlags(), '/repo/bin/pvblk.mjs'].join(' ')} sweep '/data/my spec.json' --shard auto/4 --out '/scratch/out dir' --jobs "\${SLURM_CPUS_PER_TASK:-1}" --max-runs 100000`,
    );
    expect(a).toContain("sbatch --array=I '/scratch/out dir/sweep-array.sbatch'");
    const m = mergeScript(plan);
    expect(m).toContain(
      `exec ${['/opt/node/bin/node', ...engineNodeFlags(), '/repo/bin/pvblk.mjs'].join(' ')} merge '/scratch/out dir'/shard-*-of-4.pvblk.zip --out '/scratch/out dir/its.pvblk.zip'`,
    );
    const s = submitScript(plan);
    expect(s).toContain('sbatch --parsable --dependency=afterok:"$array"');
    // The submit script is valid bash.
    const f = join(dir, 'submit.sh');
    writeFileSync(f, s);
    const check = spawnSync('bash', ['-n', f], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
    expect(readFileSync(f, 'utf8')).toContain("<<'PVBLK_ARRAY_JOB'");
  });

  it('quotes for the shell and formats time limits', () => {
    expect(shq('/a/b-c_d.json')).toBe('/a/b-c_d.json');
    expect(shq("it's")).toBe(`'it'\\''s'`);
    expect(shq('$HOME')).toBe("'$HOME'");
    expect(slurmTime(5)).toBe('00:01:00');
    expect(slurmTime(3 * 3600 + 62)).toBe('03:01:02');
  });
});

describe('pvblk sweep / merge on the command line', () => {
  const BIN = join(__dirname, '..', '..', '..', 'bin', 'pvblk.mjs');
  const pvblk = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [BIN, ...args], {
      encoding: 'utf8',
      env: { ...process.env, SLURM_ARRAY_TASK_ID: '', JOB_COMPLETION_INDEX: '', PARALLEL_SEQ: '', ...env },
    });
  const specFile = join(dir, 'cli-spec.json');
  /** 2400 runs: beyond the interactive cap of 1000. */
  const BIG = { ...SPEC, matrix: { ...SPEC.matrix, seed: Array.from({ length: 400 }, (_, i) => i + 1) } };
  writeFileSync(specFile, JSON.stringify(BIG));

  it('runs one shard of a matrix beyond the interactive cap, taking I from the batch system', async () => {
    expect(pvblk(['run', specFile]).stderr).toContain('2400 runs; at most 1000');
    const out = join(dir, 'cli');
    const r = pvblk(['sweep', specFile, '--shard', 'auto/600', '--out', out, '--jobs', '1'], {
      JOB_COMPLETION_INDEX: '599',
    });
    expect(r.stderr).toContain('shard 600 of 600 (JOB_COMPLETION_INDEX=599), 4 of 2400 runs');
    expect(r.stderr).toMatch(/estimated per run ~[\d.]+ s .*\n {2}estimated total ~/);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`${join(out, 'shard-600-of-600.pvblk.zip')} (4 runs)`);
    const m = pvblk(['merge', join(out, 'shard-600-of-600.pvblk.zip'), '--out', join(dir, 'x.pvblk.zip')]);
    expect(m.status).toBe(2);
    expect(m.stderr).toContain('missing 599 shards of 600: 1, 2, 3');
    expect(m.stderr).toContain(
      `pvblk sweep ${join(out, 'shard-600-of-600.pvblk.zip')} --shard 1/600 --out ${out}`,
    );
    // That command works: the spec read back from a shard's spec.json is the same sweep (same spec.json bytes).
    const again = pvblk([
      'sweep',
      join(out, 'shard-600-of-600.pvblk.zip'),
      '--shard',
      '1/600',
      '--out',
      out,
      '--jobs',
      '1',
    ]);
    expect(again.status, again.stderr).toBe(0);
    const [a, b] = await Promise.all(
      ['shard-1-of-600.pvblk.zip', 'shard-600-of-600.pvblk.zip'].map((f) => readBundle(join(out, f))),
    );
    expect(
      Buffer.from(a.files.get('spec.json') as Uint8Array).equals(
        Buffer.from(b.files.get('spec.json') as Uint8Array),
      ),
    ).toBe(true);
    expect(a.manifest.sweep?.indices).toEqual([0, 600, 1200, 1800]);
  });

  it('bad arguments exit 2 with a message naming the option', () => {
    const cases: [string[], RegExp][] = [
      [['sweep', specFile, '--shard', '1/4'], /--out DIR is required/],
      [['sweep', specFile, '--out', dir], /either --shard I\/N .* or --slurm/],
      [['sweep', specFile, '--shard', '1/4', '--slurm', '--out', dir], /either --shard/],
      [['sweep', specFile, '--shard', 'auto/4', '--out', dir], /none of SLURM_ARRAY_TASK_ID/],
      [['sweep', specFile, '--shard', '9/4', '--out', dir], /--shard: shard 9 .* outside 1\.\.4/],
      [
        ['sweep', specFile, '--shard', '1/4', '--out', dir, '--max-runs', '100'],
        /2400 runs; at most 100\n.*--max-runs/,
      ],
      [['sweep', specFile, '--shard', '1/4', '--out', dir, '--time', '1:00'], /--time goes with --slurm/],
      [['sweep', specFile, '--slurm', '--out', dir, '--jobs', '2'], /--jobs: with --slurm/],
      [
        ['sweep', specFile, '--slurm', '--out', dir, '--time', 'soon', '--dry-run'],
        /--time: expected HH:MM:SS/,
      ],
      [
        ['sweep', specFile, '--slurm', '--out', dir, '--shards', '0', '--dry-run'],
        /--shards: expected an integer from 1/,
      ],
      [
        ['sweep', join(dir, 'nope.json'), '--shard', '1/4', '--out', dir],
        /nope\.json: cannot read \(ENOENT\)/,
      ],
      [['merge', '--out', join(dir, 'y.zip')], /expected shard bundles/],
      [['merge', join(dir, 'nope.zip'), '--out', join(dir, 'y.zip')], /nope\.zip: cannot read/],
    ];
    for (const [args, msg] of cases) {
      const r = pvblk(args);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
    expect(pvblk(['sweep', '--help']).stdout).toContain('--shard I/N|auto/N');
  });

  it('--slurm --dry-run prints a submit script for this node and pvblk, writing nothing', () => {
    const out = join(dir, 'never-written');
    const r = pvblk([
      'sweep',
      specFile,
      '--slurm',
      '--out',
      out,
      '--shards',
      '6',
      '--cpus-per-task',
      '8',
      '--dry-run',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('2400 runs in 6 shards of ≤400 runs, 8 CPUs per task');
    expect(r.stdout).toContain('#SBATCH --array=1-6');
    expect(r.stdout).toContain('#SBATCH --cpus-per-task=8');
    expect(r.stdout).toContain(`exec ${process.execPath} `);
    expect(r.stdout).toContain(
      `sweep ${specFile} --shard auto/6 --out ${out} --jobs "\${SLURM_CPUS_PER_TASK:-1}"`,
    );
    expect(r.stdout).toContain('--dependency=afterok:"$array"');
    expect(spawnSync('test', ['-e', out]).status).toBe(1);
  });
});
