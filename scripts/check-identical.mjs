// Byte-identity check for engine optimizations: runs every built-in experiment and a few extra
// specs through the built CLI (`pvblk run ... --json`) and compares each result with a stored one.
//
//   node scripts/check-identical.mjs --save DIR   store the current results in DIR (before a change)
//   node scripts/check-identical.mjs DIR          rerun and compare with DIR (after a change)
//   PVBLK_CHECK_CASE=text                         only the cases whose name contains text
//
// A result is IDENTICAL when the whole JSON is byte-identical; "summary identical" when only the
// time series differ (a change of series representation must say why); otherwise DIFFERENT.
// Exit status 0 when nothing is DIFFERENT, 1 otherwise, 2 on bad arguments.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pvblk = join(root, 'bin', 'pvblk.mjs');

function nativeRandom(name, disk, iodepth, duration, extra = {}) {
  return {
    name,
    seed: 11,
    duration_s: duration,
    warmup_s: 1,
    disk: { preset: disk },
    host: { scheduler: 'noop' },
    native: [{ name: 'rand', op: 'read', pattern: 'random', block_kb: 4, iodepth, ...extra }],
  };
}

/** Extra specs: the bench's disk cases, and paths the presets do not take (merging writes, rw mix, arrivals). */
const SPECS = {
  'qd1-cheetah-9lp': nativeRandom('qd1-cheetah-9lp', 'cheetah-9lp', 1, 60),
  'qd1-hp-c3323a': nativeRandom('qd1-hp-c3323a', 'hp-c3323a', 1, 60),
  'qd32-ssd-sata': nativeRandom('qd32-ssd-sata', 'ssd-sata', 32, 5),
  'qd8-cheetah-9lp-cfq': {
    ...nativeRandom('qd8-cheetah-9lp-cfq', 'cheetah-9lp', 8, 30, { op: 'rw', rwmix_read: 70 }),
    host: { scheduler: 'cfq' },
  },
  'seq-writes-noop-merge': {
    name: 'seq-writes-noop-merge',
    seed: 3,
    duration_s: 20,
    warmup_s: 1,
    sample_interval_ms: 100,
    host: { scheduler: 'noop' },
    vms: [
      {
        name: 'vm1',
        mapping: 'vpid',
        guest_scheduler: 'deadline',
        image: { offset_gb: 0, size_gb: 40 },
        threads: [
          { name: 'w', count: 3, op: 'write', pattern: 'sequential', block_kb: 16, iodepth: 4, size_gb: 2 },
          { name: 'r', op: 'read', pattern: 'random', block_kb: 8, iodepth: 2, think_ms: 1 },
        ],
      },
      {
        name: 'vm2',
        mapping: 'pool',
        pool_threads: 4,
        guest_scheduler: 'cfq',
        image: { offset_gb: 50, size_gb: 40 },
        threads: [
          {
            name: 'p',
            op: 'rw',
            rwmix_read: 50,
            pattern: 'sequential',
            block_kb: 32,
            iodepth: 2,
            arrival: { type: 'poisson', rate_iops: 150 },
            start_s: 2,
            stop_s: 15,
          },
        ],
      },
    ],
  },
  // Native processes beside VMs under every host scheduler: native and Qemu requests share the
  // host's request objects where the scheduler lets completed ones be reused (noop, cfq).
  'mixed-native-vms-4-schedulers': {
    name: 'mixed-native-vms-4-schedulers',
    seed: 3,
    duration_s: 20,
    warmup_s: 1,
    disk: { preset: 'sata-7200' },
    host: { scheduler: 'noop' },
    matrix: { 'host.scheduler': ['noop', 'cfq', 'bfq', 'deadline'] },
    vms: [
      {
        name: 'A',
        mapping: 'vpid',
        threads: [
          { name: 's', op: 'read', pattern: 'sequential', block_kb: 64, iodepth: 2, count: 2, size_gb: 4 },
          { name: 'w', op: 'write', pattern: 'sequential', block_kb: 16, iodepth: 4, size_gb: 4 },
        ],
      },
      {
        name: 'B',
        mapping: 'vm',
        threads: [{ name: 'r', op: 'read', pattern: 'random', block_kb: 4, iodepth: 4, size_gb: 10 }],
      },
    ],
    native: [
      { name: 'n', op: 'read', pattern: 'random', block_kb: 4, iodepth: 2, size_gb: 10 },
      { name: 'm', op: 'write', pattern: 'sequential', block_kb: 8, iodepth: 8, size_gb: 4 },
    ],
  },
};

const CASES = [];
const presets = JSON.parse(execFileSync('node', [pvblk, 'presets', '--json'], { encoding: 'utf8' }));
for (const p of presets.experiments ?? presets) {
  const name = typeof p === 'string' ? p : p.name;
  CASES.push({ name: `preset-${name}`, args: ['--preset', name] });
}
for (const [name, spec] of Object.entries(SPECS)) CASES.push({ name, spec });
// Long enough that a bounded time series must coarsen its older samples (summaries stay identical).
CASES.push({ name: 'long-paper-fairness-900s', args: ['--preset', 'paper-fairness', '--duration', '900'] });
CASES.push({ name: 'long-qd1-cheetah-9lp-2h', spec: nativeRandom('long-qd1', 'cheetah-9lp', 1, 7200) });

const argv = process.argv.slice(2);
const save = argv[0] === '--save';
const dir = save ? argv[1] : argv[0];
if (!dir) {
  process.stderr.write('usage: node scripts/check-identical.mjs [--save] DIR\n');
  process.exit(2);
}
if (save) mkdirSync(dir, { recursive: true });
else if (!existsSync(dir)) {
  process.stderr.write(`${dir}: no stored results (make them with --save first)\n`);
  process.exit(2);
}

const filter = process.env.PVBLK_CHECK_CASE ?? '';
const tmp = join(tmpdir(), `pvblk-check-${process.pid}`);
mkdirSync(tmp, { recursive: true });
let different = 0;
try {
  for (const c of CASES.filter((x) => x.name.includes(filter))) {
    let args = c.args;
    if (c.spec) {
      const f = join(tmp, `${c.name}.json`);
      writeFileSync(f, JSON.stringify(c.spec));
      args = [f];
    }
    const t0 = Date.now();
    const out = execFileSync('node', [pvblk, 'run', ...args, '--json', '--jobs', '1'], {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    });
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    const file = join(dir, `${c.name}.json`);
    if (save) {
      writeFileSync(file, out);
      process.stdout.write(`saved      ${c.name} (${secs} s)\n`);
      continue;
    }
    if (!existsSync(file)) {
      process.stdout.write(`MISSING    ${c.name}: no stored result\n`);
      different++;
      continue;
    }
    const want = readFileSync(file, 'utf8');
    if (want === out) {
      process.stdout.write(`IDENTICAL  ${c.name} (${secs} s)\n`);
      continue;
    }
    const strip = (text) => {
      const j = JSON.parse(text);
      for (const r of j.runs) delete r.timeseries;
      return JSON.stringify(j);
    };
    if (strip(want) === strip(out)) {
      process.stdout.write(`summary identical, series differ  ${c.name} (${secs} s)\n`);
    } else {
      process.stdout.write(`DIFFERENT  ${c.name} (${secs} s)\n`);
      different++;
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(different > 0 ? 1 : 0);
