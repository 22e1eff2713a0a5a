#!/usr/bin/env node
// Generates docs/kernel.md's validation table: each scenario under `pvblk kernel` (a real Linux
// 6.1 kernel in QEMU on the lab's disk model over NBD) beside the simulator on the same spec with
// the guest's calibrated overhead. Needs `npm run build` and the packages of docs/kernel.md; takes
// about a minute per run under TCG. Usage: node scripts/gen-kernel-docs.mjs [--duration S] [--only NAME,...]
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const duration = Number(opt('--duration', '10'));
const only = opt('--only', '')?.split(',').filter(Boolean) ?? [];

const seq = (name, extra = {}) => ({
  name,
  op: 'read',
  pattern: 'sequential',
  block_kb: 64,
  iodepth: 1,
  size_gb: 4,
  ...extra,
});
const rnd = (name, extra = {}) => ({
  name,
  op: 'read',
  pattern: 'random',
  block_kb: 4,
  iodepth: 1,
  size_gb: 20,
  ...extra,
});
const base = (name, host, more) => ({
  name,
  duration_s: duration,
  warmup_s: 1,
  sample_interval_ms: 500,
  disk: { preset: 'sata-7200' },
  host,
  ...more,
});
// sata-7200 (main/common/disk/presets.ts) with NCQ: the same drive, queue_depth 32
const pvblkBin = join(root, 'bin', 'pvblk.mjs');
const sata7200 = spawnSync(process.execPath, [pvblkBin, 'disk', '--preset', 'sata-7200', '--spec'], {
  encoding: 'utf8',
});
if (sata7200.status !== 0) throw new Error(`pvblk disk --spec: ${sata7200.stderr}`);
const ncqDisk = { ...JSON.parse(sata7200.stdout), name: 'sata-7200-ncq32', queue_depth: 32 };
const groups = (ll, disk) =>
  base(
    `groups-300-100-ll${ll}-${disk === 'ncq' ? 'ncq32' : 'depth1'}`,
    { scheduler: 'bfq', params: { low_latency: ll } },
    {
      ...(disk === 'ncq' ? { disk: ncqDisk } : {}),
      vms: [
        {
          name: 'heavy',
          mapping: 'vpid-group',
          weight: 300,
          image: { offset_gb: 0, size_gb: 40 },
          threads: [seq('r')],
        },
        {
          name: 'light',
          mapping: 'vpid-group',
          weight: 100,
          image: { offset_gb: 100, size_gb: 40 },
          threads: [seq('r')],
        },
      ],
    },
  );
const three = (s, params = {}, suffix = '') =>
  base(`three-seq-${s}${suffix}`, { scheduler: s, params }, { native: [seq('r', { count: 3 })] });
const seqRandom = (s) =>
  base(`seq-vs-random-${s}`, { scheduler: s, params: {} }, { native: [seq('seq'), rnd('rand')] });

const SCENARIOS = [
  { spec: three('noop') },
  { spec: three('deadline') },
  { spec: three('bfq') },
  { spec: three('bfq', { low_latency: 0 }, '-low-latency-0') },
  { spec: three('bfq', { slice_idle_ms: 0 }, '-slice-idle-0') },
  {
    spec: base(
      'bfq-ioprio-0-vs-7',
      { scheduler: 'bfq', params: {} },
      {
        native: [seq('prio0', { ioprio: 0 }), seq('prio7', { ioprio: 7, offset_gb: 100 })],
      },
    ),
  },
  { spec: groups(1, 'depth1') },
  { spec: groups(0, 'depth1') },
  { spec: groups(1, 'ncq') },
  { spec: groups(0, 'ncq') },
  { spec: seqRandom('noop') },
  { spec: seqRandom('deadline') },
  { spec: seqRandom('bfq') },
  {
    spec: base(
      'two-random-bfq',
      { scheduler: 'bfq', params: {} },
      { native: [rnd('a'), rnd('b', { offset_gb: 200 })] },
    ),
  },
  {
    spec: base(
      'deadline-reads-vs-write-flood',
      {
        scheduler: 'deadline',
        params: { writes_starved: 2, read_expire_ms: 500, write_expire_ms: 5000 },
      },
      { native: [seq('reader'), seq('writer', { op: 'write', iodepth: 8, offset_gb: 100 })] },
    ),
  },
  { preset: 'paper-throughput-bfq' },
  { preset: 'paper-fairness-bfq' },
];

const rows = [];
const problems = [];
const runsOut = [];
for (const sc of SCENARIOS) {
  const name = sc.preset ?? sc.spec.name;
  if (only.length && !only.includes(name)) continue;
  const cli = [pvblkBin, 'kernel', '--json', '--duration', String(duration)];
  if (sc.preset) cli.push('--preset', sc.preset);
  else {
    const f = join(tmpdir(), `pvblk-kernel-doc-${process.pid}-${name}.json`);
    writeFileSync(f, JSON.stringify(sc.spec));
    cli.push(f);
  }
  process.stderr.write(`== ${name}\n`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, cli, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) {
    problems.push(
      `${name}: pvblk kernel exited ${r.status}: ${(r.stderr || '').trim().split('\n').slice(-3).join(' / ')}`,
    );
    process.stderr.write(r.stderr);
    continue;
  }
  const res = JSON.parse(r.stdout);
  process.stderr.write(`   ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  res.runs.forEach((k, i) => {
    const s = res.simulated.runs[i];
    const label = Object.keys(k.params).length ? `${name} (${Object.values(k.params).join(', ')})` : name;
    const who = [
      ...k.summary.vms.map((v) => [v.name, v, s.summary.vms.find((x) => x.name === v.name)]),
      ...k.summary.native.map((t) => [t.name, t, s.summary.native.find((x) => x.name === t.name)]),
    ];
    runsOut.push({ label, kernel: k.kernel, params: k.params });
    for (const [n, kv, sv] of who) {
      const dMb = sv && sv.mbps > 0 ? ((kv.mbps - sv.mbps) / sv.mbps) * 100 : null;
      const dShare = sv ? (kv.disk_time_share - sv.disk_time_share) * 100 : null;
      const off = (dMb !== null && Math.abs(dMb) > 15) || (dShare !== null && Math.abs(dShare) > 15);
      rows.push([
        label,
        n,
        sv ? sv.mbps.toFixed(1) : '-',
        kv.mbps.toFixed(1),
        dMb === null ? '-' : `${dMb >= 0 ? '+' : ''}${dMb.toFixed(0)} %`,
        sv ? (sv.disk_time_share * 100).toFixed(1) : '-',
        (kv.disk_time_share * 100).toFixed(1),
        dShare === null ? '-' : `${dShare >= 0 ? '+' : ''}${dShare.toFixed(1)}`,
        off ? '**no**' : 'yes',
      ]);
    }
    rows.push([
      label,
      '_total_',
      s.summary.total.mbps.toFixed(1),
      k.summary.total.mbps.toFixed(1),
      s.summary.total.mbps > 0
        ? `${k.summary.total.mbps >= s.summary.total.mbps ? '+' : ''}${(((k.summary.total.mbps - s.summary.total.mbps) / s.summary.total.mbps) * 100).toFixed(0)} %`
        : '-',
      '',
      '',
      '',
      '',
    ]);
  });
}

const tbl = (head, body) =>
  [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...body.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
const runTable = tbl(
  [
    'run',
    'kernel',
    'accel',
    'round trip ms (mean / median)',
    'dispatch gap ms (median)',
    'sim µs before / after scheduler',
    'flags',
  ],
  runsOut.map((r) => [
    r.label,
    r.kernel.kernel,
    `${r.kernel.accel} ×${r.kernel.vcpus}`,
    `${r.kernel.calibration.mean_ms} / ${r.kernel.calibration.median_ms}`,
    r.kernel.calibration_queued ? String(r.kernel.calibration_queued.median_ms) : '-',
    `${r.kernel.sim_overhead_us} / ${r.kernel.sim_dispatch_latency_us ?? 0}`,
    r.kernel.flags.map((f) => f.split(':')[0]).join(', ') || '-',
  ]),
);
const head = readFileSync(join(root, 'docs', 'kernel.head.md'), 'utf8');
const doc = `${head}
## Validation table

Generated by \`node scripts/gen-kernel-docs.mjs --duration ${duration}\` on ${new Date().toISOString().slice(0, 10)}
(${runsOut[0] ? `${runsOut[0].kernel.kernel}, ${runsOut[0].kernel.accel.toUpperCase()} with ${runsOut[0].kernel.vcpus} vCPUs` : 'no runs'}).
Each scenario ran ${duration} s (1 s warm-up) under the kernel, and the simulator ran the same spec with
the guest overhead measured in that run. "agree" is yes when both the throughput and the disk-time
share are within 15 % (throughput relative, share in percentage points) of the simulator's.

${tbl(['scenario', 'who', 'sim MB/s', 'kernel MB/s', 'Δ MB/s', 'sim disk %', 'kernel disk %', 'Δ pts', 'agree'], rows)}

Per run: the guest overhead and the flags (see "Honest timing").

${runTable}
${problems.length ? `\nScenarios that did not run:\n\n${problems.map((p) => `- ${p}`).join('\n')}\n` : ''}`;
writeFileSync(join(root, 'docs', 'kernel.md'), doc);
process.stderr.write(`docs/kernel.md written (${rows.length} rows, ${problems.length} problems)\n`);
