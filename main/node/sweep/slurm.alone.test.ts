/**
 * A sweep through a REAL Slurm (run alone: vitest.alone.config.ts). The test brings up a one-node
 * cluster on this machine in a temporary folder: its own munge key and munged (own socket, pid,
 * log and seed files), a slurm.conf (SlurmUser=root, proctrack/linuxproc, task/none,
 * select/cons_tres, free ports, local state and spool folders), slurmctld and slurmd in the
 * foreground as children of the test. It submits a 240-run sweep in 4 array tasks with
 * `pvblk sweep --slurm`, waits for the dependent merge job and compares the merged bundle byte for
 * byte with a local `pvblk run --out`. The daemons are always stopped (by their pids) and the folder
 * removed. Skipped, with the reason printed, where Slurm cannot start (not root, not installed:
 * `.ci/run` installs slurm-wlm and munge).
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBundle } from '../bundle/read';
import { engineNodeFlags } from '../node-flags';
import { testVms } from './testing';

const BIN = join(__dirname, '..', '..', '..', 'bin', 'pvblk.mjs');
const work = mkdtempSync(join(tmpdir(), 'pvblk-slurm-test-'));
const conf = join(work, 'slurm.conf');
const env = { ...process.env, SLURM_CONF: conf };
const daemons: { name: string; proc: ChildProcess }[] = [];
let skip = '';

/** 240 short runs: 4 mappings × 2 schedulers × 3 thread counts × 10 seeds. */
const SPEC = {
  name: 'slurm-sweep',
  seed: 11,
  duration_s: 0.15,
  sample_interval_ms: 50,
  host: { scheduler: 'cfq' },
  vms: testVms(),
  matrix: {
    'vms.*.mapping': ['vm', 'pool', 'vpid', 'vpid-group'],
    'host.scheduler': ['cfq', 'bfq'],
    'vms.0.threads.0.count': [1, 2, 4],
    seed: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  },
};

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

function start(name: string, cmd: string, args: string[]): void {
  const out = join(work, `${name}.out`);
  const proc = spawn(cmd, args, { env, cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  proc.stdout?.on('data', (d: Buffer) => chunks.push(d));
  proc.stderr?.on('data', (d: Buffer) => chunks.push(d));
  proc.on('exit', () => writeFileSync(out, Buffer.concat(chunks)));
  daemons.push({ name, proc });
}

async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    for (const d of daemons)
      if (d.proc.exitCode !== null || d.proc.signalCode !== null)
        throw new Error(
          `${d.name} exited (${d.proc.exitCode ?? d.proc.signalCode}) while waiting for ${what}`,
        );
    if (ok()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

async function stopDaemons(): Promise<void> {
  // Reverse order: slurmd, slurmctld, munged; each by the pid we started.
  for (const d of [...daemons].reverse()) {
    if (d.proc.exitCode !== null || d.proc.signalCode !== null) continue;
    const exited = new Promise((r) => d.proc.once('exit', r));
    d.proc.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    if (d.proc.exitCode === null && d.proc.signalCode === null) d.proc.kill('SIGKILL');
  }
}

beforeAll(async () => {
  try {
    if (process.getuid?.() !== 0)
      throw new Error('not root (the test runs slurmctld and slurmd as SlurmUser=root)');
    const missing = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'scontrol', 'sinfo'].filter((c) => !has(c));
    if (missing.length)
      throw new Error(`not installed: ${missing.join(', ')} (apt-get install slurm-wlm munge)`);
    if (!existsSync(join(__dirname, '..', '..', '..', 'out', 'main', 'cli.js')))
      throw new Error('out/main/cli.js missing (run `npm run build`)');
    const munge = join(work, 'munge');
    mkdirSync(munge, { mode: 0o711 });
    const key = join(munge, 'munge.key');
    writeFileSync(key, randomBytes(1024), { mode: 0o400 });
    const socket = join(munge, 'munge.socket');
    start('munged', 'munged', [
      '--foreground',
      '--force',
      `--socket=${socket}`,
      `--key-file=${key}`,
      `--pid-file=${join(munge, 'munged.pid')}`,
      `--log-file=${join(munge, 'munged.log')}`,
      `--seed-file=${join(munge, 'munged.seed')}`,
    ]);
    await until('munged socket', () => existsSync(socket), 15_000);
    const host = hostname().split('.')[0];
    const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
    for (const d of ['state', 'spool']) mkdirSync(join(work, d));
    writeFileSync(
      conf,
      `ClusterName=pvblktest
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=${ctldPort}
SlurmdPort=${slurmdPort}
AuthType=auth/munge
AuthInfo=socket=${socket}
CredType=cred/munge
StateSaveLocation=${join(work, 'state')}
SlurmdSpoolDir=${join(work, 'spool')}
SlurmctldPidFile=${join(work, 'slurmctld.pid')}
SlurmdPidFile=${join(work, 'slurmd.pid')}
SlurmctldLogFile=${join(work, 'slurmctld.log')}
SlurmdLogFile=${join(work, 'slurmd.log')}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
MinJobAge=600
NodeName=${host} NodeAddr=127.0.0.1 CPUs=${availableParallelism()} State=UNKNOWN
PartitionName=pvblk Nodes=${host} Default=YES MaxTime=INFINITE State=UP
`,
    );
    start('slurmctld', 'slurmctld', ['-D', '-i', '-f', conf]);
    start('slurmd', 'slurmd', ['-D', '-f', conf, '-N', host]);
    await until(
      'the node to be idle in sinfo',
      () => spawnSync('sinfo', ['-h', '-o', '%t'], { env, encoding: 'utf8' }).stdout.trim() === 'idle',
      60_000,
    );
  } catch (e) {
    skip = (e as Error).message;
    await stopDaemons();
  }
}, 120_000);

afterAll(async () => {
  // Jobs first (none should be left), then the daemons, always; then the folder.
  if (daemons.length && !skip) spawnSync('scancel', ['--user=root'], { env });
  await stopDaemons();
  rmSync(work, { recursive: true, force: true });
}, 60_000);

function jobState(id: string): string {
  const r = spawnSync('scontrol', ['show', 'job', '-o', id], { env, encoding: 'utf8' });
  const states = [...r.stdout.matchAll(/JobState=(\S+)/g)].map((m) => m[1]);
  if (states.length === 0) return 'UNKNOWN';
  return states.every((s) => s === 'COMPLETED')
    ? 'COMPLETED'
    : (states.find((s) => s !== 'COMPLETED') ?? 'UNKNOWN');
}

function logs(dir = 'out'): string {
  const out = join(work, dir);
  const files = existsSync(out) ? execFileSync('ls', [out], { encoding: 'utf8' }).split('\n') : [];
  return files
    .filter((f) => f.startsWith('slurm-'))
    .map((f) => `--- ${f}\n${readFileSync(join(out, f), 'utf8')}`)
    .join('\n')
    .concat(
      `\n--- slurmctld.log (tail)\n${existsSync(join(work, 'slurmctld.log')) ? readFileSync(join(work, 'slurmctld.log'), 'utf8').split('\n').slice(-30).join('\n') : ''}`,
    );
}

const FINAL = ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'OUT_OF_MEMORY'];

/** Wait for job `id` to end (its final state); fails early when its dependency can never be met. */
async function waitFor(id: string, dir: string, ms = 200_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const state = jobState(id);
    if (FINAL.includes(state)) return state;
    if (Date.now() > end) throw new Error(`job ${id} is still ${state} after ${ms / 1000} s\n${logs(dir)}`);
    const show = spawnSync('scontrol', ['show', 'job', id], { env, encoding: 'utf8' }).stdout;
    if (/DependencyNeverSatisfied/.test(show))
      throw new Error(`an array task failed; job ${id} can never start\n${logs(dir)}`);
    await sleep(1000);
  }
}

describe('a sweep on a real Slurm', () => {
  it('4 array tasks and a dependent merge job give a bundle byte-identical to a local run', async (ctx) => {
    if (skip) {
      console.warn(`slurm test skipped: ${skip}`);
      ctx.skip();
    }
    const specFile = join(work, 'spec.json');
    writeFileSync(specFile, JSON.stringify(SPEC, null, 2));
    const out = join(work, 'out');
    const sub = spawnSync(
      process.execPath,
      [
        BIN,
        'sweep',
        specFile,
        '--slurm',
        '--out',
        out,
        '--shards',
        '4',
        '--cpus-per-task',
        '1',
        '--time',
        '00:10:00',
      ],
      { env, encoding: 'utf8' },
    );
    expect(sub.stderr).toMatch(/240 runs in 4 shards of ≤60 runs/);
    expect(sub.stderr).toMatch(/estimated per run ~/);
    expect(sub.status, sub.stderr).toBe(0);
    const arrayJob = /array job (\d+) \(4 tasks\)/.exec(sub.stdout)?.[1];
    const mergeJob = /merge job (\d+) → (.+)$/m.exec(sub.stdout);
    expect(arrayJob, sub.stdout).toBeDefined();
    expect(mergeJob, sub.stdout).not.toBeNull();
    const merged = (mergeJob as RegExpExecArray)[2];
    // The array script runs this very node, with the engine flags, and pvblk by absolute path.
    const script = readFileSync(join(out, 'sweep-array.sbatch'), 'utf8');
    expect(script).toContain(
      `exec ${[process.execPath, ...engineNodeFlags(), realpathSync(BIN)].join(' ')} sweep`,
    );
    expect(script).toContain('#SBATCH --array=1-4');

    const state = await waitFor((mergeJob as RegExpExecArray)[1], 'out');
    expect(state, logs()).toBe('COMPLETED');
    expect(jobState(arrayJob as string)).toBe('COMPLETED');
    for (let i = 1; i <= 4; i++) expect(existsSync(join(out, `shard-${i}-of-4.pvblk.zip`))).toBe(true);

    const localFile = join(work, 'local.pvblk.zip');
    const run = spawnSync(process.execPath, [BIN, 'run', specFile, '--out', localFile], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    expect(run.status, run.stderr).toBe(0);
    const a = await readBundle(merged);
    const b = await readBundle(localFile);
    expect(a.results.runs.length).toBe(240);
    expect([...a.files.keys()].sort()).toEqual([...b.files.keys()].sort());
    for (const [name, bytes] of b.files) {
      if (name === 'manifest.json') continue;
      expect(Buffer.from(a.files.get(name) as Uint8Array).equals(Buffer.from(bytes)), name).toBe(true);
    }
    expect(a.manifest.files).toEqual(b.manifest.files);
    expect(a.manifest.engine_version).toBe(b.manifest.engine_version);
    expect(a.manifest.trace).toEqual(b.manifest.trace);
  }, 300_000);

  it('the --dry-run submit script runs as it is (bash) and its merged bundle reads back', async (ctx) => {
    if (skip) {
      console.warn(`slurm test skipped: ${skip}`);
      ctx.skip();
    }
    const specFile = join(work, 'small.json');
    writeFileSync(
      specFile,
      JSON.stringify({
        ...SPEC,
        name: 'dry run',
        matrix: { 'vms.*.mapping': ['vm', 'vpid'], seed: [1, 2, 3, 4, 5, 6] },
      }),
    );
    const out = join(work, 'dry');
    const dry = spawnSync(
      process.execPath,
      [BIN, 'sweep', specFile, '--slurm', '--out', out, '--shards', '3', '--cpus-per-task', '1', '--dry-run'],
      { env, encoding: 'utf8' },
    );
    expect(dry.status, dry.stderr).toBe(0);
    expect(existsSync(out)).toBe(false);
    const submit = join(work, 'submit.sh');
    writeFileSync(submit, dry.stdout);
    const sub = spawnSync('bash', [submit], { env, encoding: 'utf8' });
    expect(sub.status, sub.stderr).toBe(0);
    const m = /^array job (\d+) \(3 tasks\), merge job (\d+); merged bundle: (.+)$/m.exec(sub.stdout);
    expect(m, sub.stdout).not.toBeNull();
    const [, , mergeJob, merged] = m as RegExpExecArray;
    expect(await waitFor(mergeJob, 'dry'), logs('dry')).toBe('COMPLETED');
    const b = await readBundle(merged);
    expect(b.results.runs.length).toBe(12);
    expect(b.results.runs.map((r) => r.params.seed)).toEqual([1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]);
  }, 200_000);
});
