import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readBundle } from '../bundle/read';
import { cgroupUnavailable } from '../real/cgroup';
import { vmProcessFile } from '../real/index';
import { checkFilesystem, probeODirect } from '../real/safety';
import { SIM_VS_REAL_COLUMNS } from './real';

const BIN = join(__dirname, '..', '..', '..', 'bin', 'pvblk.mjs');
const pvblk = (...args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
const dir = mkdtempSync(join(tmpdir(), 'pvblk-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

describe('pvblk CLI', () => {
  it('--help and --version exit 0', () => {
    expect(pvblk('--help').status).toBe(0);
    expect(pvblk('--help').stdout).toContain('pvblk run');
    expect(pvblk('--version').stdout).toMatch(/^pvblk \d+\.\d+\.\d+/);
  });

  it('a reader that stops early (pvblk … | head) ends the command quietly, exit 0', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'run', '--preset', 'paper-fairness', '--duration', '2', '--json'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout.destroy(); // the pipe's reader is gone before the first write
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('unknown commands and bad arguments exit 2 with a message on stderr', () => {
    const a = pvblk('frobnicate');
    expect(a.status).toBe(2);
    expect(a.stderr).toContain('unknown command');
    const b = pvblk('run', '--preset', 'nope');
    expect(b.status).toBe(2);
    expect(b.stderr).toContain('--preset');
    expect(pvblk('run', '--preset', 'paper-throughput', '--bogus').status).toBe(2);
    expect(pvblk('run', '--preset', 'paper-throughput', '--duration', 'abc').status).toBe(2);
  });

  it('an invalid spec exits 2 and names the field path', () => {
    const bad = file(
      'bad.json',
      JSON.stringify({
        name: 'x',
        duration_s: 1,
        host: { scheduler: 'cfq', params: { slice_idle_ms: -1, bogus: 1 } },
        vms: [
          {
            name: 'a',
            image: { offset_gb: 0, size_gb: 1 },
            threads: [{ name: 't', block_kb: 'big', size_gb: 2 }],
          },
        ],
      }),
    );
    const r = pvblk('run', bad);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('vms.0.threads.0.block_kb');
    const r2 = pvblk(
      'run',
      file(
        'bad2.json',
        JSON.stringify({
          name: 'x',
          duration_s: 1,
          host: { scheduler: 'cfq', params: { slice_idle_ms: -1, bogus: 1 } },
        }),
      ),
    );
    expect(r2.status).toBe(2);
    expect(r2.stderr).toContain('host.params.slice_idle_ms');
    expect(r2.stderr).toContain('host.params.bogus');
    const r3 = pvblk(
      'run',
      file(
        'bad3.json',
        JSON.stringify({
          name: 'x',
          duration_s: 1,
          host: { scheduler: 'deadline' },
          vms: [
            {
              name: 'a',
              mapping: 'vpid-group',
              image: { offset_gb: 0, size_gb: 1 },
              threads: [{ name: 't', size_gb: 2 }],
            },
          ],
        }),
      ),
    );
    expect(r3.status).toBe(2);
    expect(r3.stderr).toContain('vms.0.mapping');
    expect(r3.stderr).toContain('vms.0.threads.0.size_gb');
    expect(pvblk('run', file('notjson.json', '{nope')).stderr).toContain('not valid JSON');
    expect(pvblk('run', join(dir, 'missing.json')).status).toBe(2);
  });

  it('presets and preset print the built-in experiments', () => {
    const list = JSON.parse(pvblk('presets', '--json').stdout);
    expect(list.experiments.map((p: { name: string }) => p.name)).toContain('paper-fairness');
    const spec = JSON.parse(pvblk('preset', 'paper-throughput').stdout);
    expect(spec.name).toBe('paper-throughput');
    expect(pvblk('preset', 'nope').status).toBe(2);
  });

  it('every built-in preset runs (short) and prints JSON of the documented shape', () => {
    const names: string[] = JSON.parse(pvblk('presets', '--json').stdout).experiments.map(
      (p: { name: string }) => p.name,
    );
    for (const n of names) {
      const r = pvblk('run', '--preset', n, '--duration', '2', '--json');
      expect(r.status, `${n}: ${r.stderr}`).toBe(0);
      const res = JSON.parse(r.stdout);
      for (const run of res.runs) {
        expect(run.summary.total).toHaveProperty('mbps');
        expect(run.summary.disk).toHaveProperty('utilization');
        expect(run.summary.fairness).toHaveProperty('jain_vms');
      }
    }
  });

  it('matrix results do not depend on the number of worker threads', () => {
    const one = pvblk('run', '--preset', 'paper-fairness', '--duration', '3', '--json', '--jobs', '1');
    const two = pvblk('run', '--preset', 'paper-fairness', '--duration', '3', '--json', '--jobs', '2');
    expect(one.status).toBe(0);
    expect(two.stdout).toBe(one.stdout);
  });

  it('presets is a short table with a capacity column; --long has the full descriptions', () => {
    const r = pvblk('presets');
    expect(r.status).toBe(0);
    for (const line of r.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(100);
    expect(r.stdout).toMatch(/hp97560\s+1\.28 GiB\s+HP 97560/);
    expect(r.stdout).toMatch(/sata-7200\s+346 GiB/);
    const long = pvblk('presets', '--long').stdout;
    const full: string = JSON.parse(pvblk('presets', '--json').stdout).disks[0].description;
    expect(long.replace(/\s+/g, ' ')).toContain(full.replace(/\s+/g, ' '));
  });

  it('disk without --json prints a readable summary: scalars, zones table, a few seek-curve points', () => {
    const r = pvblk('disk', '--preset', 'hp97560');
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain('{');
    expect(r.stdout.split('\n').length).toBeLessThan(45);
    expect(r.stdout).toMatch(/^rpm\s+4,002$/m);
    expect(r.stdout).toMatch(/^capacity \(GiB\)\s+1\.280$/m);
    expect(r.stdout).toContain('zones (1):');
    expect(r.stdout).toMatch(/seek curve \(12 of \d+ points; --json for all\)/);
    expect(r.stdout).toMatch(/^\s+1,961\s+23\.688$/m);
  });

  it('a bad value gets the same words as in the UI: field, unit, the value given', () => {
    const spec = JSON.parse(pvblk('preset', 'native-random-fifo').stdout);
    spec.disk = {
      kind: 'ssd',
      capacity_gb: 'big',
      read_latency_us: 80,
      write_latency_us: 30,
      channels: 4,
      bandwidth_mbps: 500,
    };
    const r = pvblk('run', file('bad-disk.json', JSON.stringify(spec)));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('disk.capacity_gb: must be a number (GiB), got "big"');
  });

  it('disk --json characterizes a preset', () => {
    const c = JSON.parse(pvblk('disk', '--preset', 'hp97560', '--json').stdout);
    expect(c.rpm).toBe(4002);
    expect(c.seek_curve.length).toBeGreaterThan(10);
    expect(pvblk('disk', '--preset', 'nope').status).toBe(2);
  });

  it('disk --spec prints a preset as a full model that, saved and edited, is a disk of its own', () => {
    const presets: { name: string }[] = JSON.parse(pvblk('presets', '--json').stdout).disks;
    expect(presets.length).toBeGreaterThan(5);
    for (const { name } of presets) {
      const r = pvblk('disk', '--preset', name, '--spec');
      expect(r.status, r.stderr).toBe(0);
      const model = JSON.parse(r.stdout);
      expect(model.kind).toMatch(/^(hdd|ssd)$/);
      const saved = file(`${name}.disk.json`, r.stdout);
      expect(pvblk('disk', saved, '--json').stdout).toBe(pvblk('disk', '--preset', name, '--json').stdout);
    }
    const spec = JSON.parse(pvblk('preset', 'native-random-fifo').stdout);
    spec.disk = { ...JSON.parse(pvblk('disk', '--preset', 'sata-7200', '--spec').stdout), queue_depth: 32 };
    const run = pvblk('run', file('ncq.json', JSON.stringify(spec)), '--duration', '1', '--json');
    expect(run.status, run.stderr).toBe(0);
    expect(pvblk('disk', '--preset', 'sata-7200', '--spec', '--json').status).toBe(2);
  });

  it('the human output of a matrix run is a comparison table', () => {
    const r = pvblk('run', '--preset', 'paper-fairness', '--duration', '2');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('total MB/s');
    expect(r.stdout).toContain('vms.*.mapping=vpid-group');
  });
});

/** The real backend needs the build (out/main/real-vm.js) and O_DIRECT in the temp folder. */
function realUnavailable(): string | null {
  if (!vmProcessFile()) return 'out/main/real-vm.js missing (npm run build)';
  try {
    const d = mkdtempSync(join(dir, 'probe-'));
    checkFilesystem(d);
    probeODirect(d, 'probe0');
    rmSync(d, { recursive: true, force: true });
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}
const realSkip = realUnavailable();
if (realSkip) console.log(`pvblk real tests skipped: ${realSkip}`);

describe.runIf(realSkip === null)('pvblk real: simulated and real results of the same spec', () => {
  const SPEC = {
    name: 'cli-real',
    duration_s: 1,
    warmup_s: 0,
    sample_interval_ms: 250,
    disk: { preset: 'sata-7200' },
    host: { scheduler: 'noop', params: {} },
    vms: [
      {
        name: 'A',
        image: { offset_gb: 0, size_gb: 4 },
        threads: [{ name: 'seq', pattern: 'sequential', block_kb: 64 }],
      },
    ],
    native: [{ name: 'rnd', pattern: 'random', block_kb: 4, size_gb: 1 }],
  };
  const realDir = (name: string) => {
    const d = join(dir, name);
    mkdirSync(d, { recursive: true });
    return d;
  };
  const realArgs = (d: string) => [
    'real',
    file('real-spec.json', JSON.stringify(SPEC)),
    '--dir',
    d,
    '--size-gb',
    '0.05',
    '--duration',
    '1',
  ];

  it('--out bundles both results; the human output has a sim vs real table; replay is identical', async () => {
    const d = realDir('both');
    const out = join(dir, 'both.pvblk.zip');
    const r = pvblk(...realArgs(d), '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('simulating the same spec');
    expect(r.stderr).toContain('(simulated and real results)');
    expect(readdirSync(d)).toEqual([]);
    // The table: per VM and native thread, sim and real side by side.
    expect(r.stdout).toContain('== sim vs real (single run)');
    // what a user process cannot see is said, not printed as zeros
    expect(r.stdout).toContain('seeks and cache hits are not observable');
    expect(r.stdout).toContain('its idling and queue switches are not observable');
    const tableText = r.stdout.slice(r.stdout.indexOf('== sim vs real'));
    const header = tableText.split('\n')[1];
    for (const col of SIM_VS_REAL_COLUMNS) expect(header).toContain(col);
    const rowOf = (who: string) => tableText.split('\n').find((l) => l.startsWith(who)) ?? '';
    expect(rowOf('A ').trim().split(/\s+/)).toHaveLength(9);
    expect(rowOf('native rnd').trim().split(/\s+/)).toHaveLength(10);
    expect(rowOf('total').trim().split(/\s+/)).toHaveLength(9);
    // The bundle: results.json simulated, results-real.json real, both of the same spec.
    const b = await readBundle(out);
    expect(b.manifest.format_version).toBe(2);
    expect((b.results as { backend?: string }).backend).toBeUndefined();
    expect((b.realResults as { backend?: string } | undefined)?.backend).toBe('real');
    expect(b.realResults?.runs).toHaveLength(1);
    expect(b.files.has('timeseries/real-run-0-vms.csv')).toBe(true);
    expect(b.realResults?.runs[0].summary.vms.map((v) => v.name)).toEqual(['A']);
    const rp = pvblk('replay', out);
    expect(rp.status, rp.stderr).toBe(0);
    expect(rp.stdout).toMatch(/^note: the bundle also holds real-disk results/);
    expect(rp.stdout).toContain('identical (1 run)');
    const rj = JSON.parse(pvblk('replay', out, '--json').stdout);
    expect(rj).toMatchObject({ identical: true, realResultsNotReplayed: true });
  }, 60_000);

  it('a run this machine cannot do is a not-run row in both tables and the bundle, exit 0; none → exit 2', async () => {
    // pool mapping with 2 × 300 OS threads is over the backend's 512 on any machine
    const POOL = {
      ...SPEC,
      vms: [
        { ...SPEC.vms[0], mapping: 'pool' },
        { ...SPEC.vms[0], name: 'B', mapping: 'pool', image: { offset_gb: 10, size_gb: 4 } },
      ],
      native: [],
      matrix: { 'vms.*.pool_threads': [2, 300] },
    };
    const d = realDir('pool');
    const out = join(dir, 'pool.pvblk.zip');
    const args = ['real', file('pool.json', JSON.stringify(POOL)), '--dir', d, '--size-gb', '0.05'];
    const r = pvblk(...args, '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const reason = '600 I/O threads (one per host context); the real backend starts at most 512';
    expect(r.stderr).toContain(`run 2/2 (vms.*.pool_threads=300): not run: ${reason}`);
    // the real report: the run's row says so, and its section gives the reason
    expect(r.stdout).toMatch(/^vms\.\*\.pool_threads=300 \(not run\)\s+-\s+-/m);
    expect(r.stdout).toContain(`== vms.*.pool_threads=300: not run\n  ${reason}`);
    // the sim vs real table: the simulated figures beside "not run", then the reason
    const section = r.stdout.slice(r.stdout.indexOf('== sim vs real vms.*.pool_threads=300'));
    const totalRow = section.split('\n').find((l) => l.startsWith('total')) ?? '';
    expect(totalRow.match(/not run/g)).toHaveLength(4);
    expect(section).toContain(`real: not run: ${reason}`);
    const b = await readBundle(out);
    expect(b.realResults?.runs.map((x) => x.params)).toEqual([{ 'vms.*.pool_threads': 2 }]);
    expect(b.realResults?.not_run).toEqual([
      { index: 1, params: { 'vms.*.pool_threads': 300 }, status: 'not-run', reason },
    ]);
    expect(b.results.runs).toHaveLength(2);
    // no run can run here: exit 2, the reason, nothing left in the folder
    const none = pvblk(
      'real',
      file(
        'pool-none.json',
        JSON.stringify({
          ...POOL,
          matrix: { 'vms.*.pool_threads': [300, 400] },
        }),
      ),
      '--dir',
      d,
    );
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('no run of the matrix can run here');
    expect(readdirSync(d)).toEqual([]);
  }, 60_000);

  it('--no-sim: a real-only bundle as before, no simulation, no table', async () => {
    const out = join(dir, 'real-only.pvblk.zip');
    const r = pvblk(...realArgs(realDir('nosim')), '--no-sim', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('simulating');
    expect(r.stderr).toContain('(real results only)');
    expect(r.stdout).not.toContain('sim vs real');
    const b = await readBundle(out);
    expect((b.results as { backend?: string }).backend).toBe('real');
    expect(b.realResults).toBeUndefined();
    const rp = pvblk('replay', out, '--json');
    expect(JSON.parse(rp.stdout)).toMatchObject({ realResultsNotReplayed: false });
    expect(JSON.parse(rp.stdout).engineVersionNote).toContain('measured on a real disk');
  }, 60_000);

  it('--preset with a --dir that does not exist yet: made for the run, removed after it', () => {
    const fresh = join(dir, 'not-yet');
    const r = pvblk(
      'real',
      '--preset',
      'paper-fairness',
      '--dir',
      fresh,
      '--size-gb',
      '0.05',
      '--duration',
      '1',
      '--json',
    );
    // The README's example runs whatever this machine can: vpid-group needs weighted cgroups,
    // and where there are none it is reported as not run (exit 0), not an abort of the matrix.
    const noGroups = cgroupUnavailable();
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.backend).toBe('real');
    expect(res.runs.map((x: { params: Record<string, string> }) => x.params['vms.*.mapping'])).toEqual(
      noGroups ? ['vm', 'vpid'] : ['vm', 'vpid', 'vpid-group'],
    );
    if (noGroups)
      expect(res.not_run).toEqual([
        {
          index: 2,
          params: { 'vms.*.mapping': 'vpid-group' },
          status: 'not-run',
          reason: `vpid-group: the VMs' weighted I/O cgroups are not available here: ${noGroups}`,
        },
      ]);
    else expect(res.not_run).toBeUndefined();
    expect(existsSync(fresh)).toBe(false);
    // a missing parent is refused with exit 2
    const bad = pvblk('real', '--preset', 'paper-fairness', '--dir', join(dir, 'no', 'such'), '--json');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('does not exist');
  }, 120_000);

  it('--json prints the real result only; with --out the bundle still holds both', async () => {
    const out = join(dir, 'json.pvblk.zip');
    const r = pvblk(...realArgs(realDir('json')), '--json', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.backend).toBe('real');
    expect((await readBundle(out)).realResults?.runs).toHaveLength(1);
  }, 60_000);
});

describe('pvblk real: help', () => {
  it('documents --no-sim', () => {
    expect(pvblk('real', '--help').stdout).toContain('--no-sim');
    expect(pvblk('--help').stdout).toContain('--no-sim');
  });
});
