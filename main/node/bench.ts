/**
 * `npm run bench`: simulation speed on one core. For each case: simulated requests per wall second,
 * wall time (median of several runs), events per request, and peak RSS. These machines are noisy:
 * compare medians and ratios from one run, never absolute times across machines.
 * PVBLK_BENCH_CASE=text keeps only the cases whose name contains it.
 */
import { performance } from 'node:perf_hooks';
import type { SpecInput } from '../common/spec/schema';
import { parseSpec } from '../common/spec/validate';
import { presetSpec } from '../engine/presets/index';
import { Simulation } from '../engine/simulation';
import { table } from './cli/table';

interface Case {
  name: string;
  spec: SpecInput;
  repeats: number;
}

function fairness(mapping: 'vpid', duration: number): SpecInput {
  const s = presetSpec('paper-fairness');
  delete s.matrix;
  s.duration_s = duration;
  for (const vm of s.vms ?? []) vm.mapping = mapping;
  return s;
}

const CASES: Case[] = [
  {
    name: 'random 4 KiB, noop, native, QD32, ssd-sata (20 s)',
    repeats: 3,
    spec: {
      name: 'bench-random',
      duration_s: 20,
      sample_interval_ms: 1000,
      trace_max_points: 20_000,
      host: { scheduler: 'noop' },
      disk: { preset: 'ssd-sata' },
      native: [{ name: 'rand', op: 'read', pattern: 'random', block_kb: 4, iodepth: 32, size_gb: 100 }],
    },
  },
  {
    name: 'random 4 KiB, noop, native, QD1, sata-7200 (1 h simulated)',
    repeats: 3,
    spec: { ...presetSpec('native-random-fifo'), duration_s: 3600, sample_interval_ms: 1000 },
  },
  {
    name: 'five sequential streams, cfq, vpid (paper-fairness, 60 s)',
    repeats: 3,
    spec: fairness('vpid', 60),
  },
  {
    name: 'five sequential streams, cfq, vpid (paper-fairness, 1 h)',
    repeats: 1,
    spec: fairness('vpid', 3600),
  },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** PVBLK_BENCH_CASE=text runs only the cases whose name contains it (e.g. for `node --cpu-prof`). */
export function runBench(filter = process.env.PVBLK_BENCH_CASE ?? ''): string {
  const rows: (string | number)[][] = [];
  for (const c of CASES.filter((x) => x.name.includes(filter))) {
    const spec = parseSpec(c.spec);
    const walls: number[] = [];
    let requests = 0;
    let events = 0;
    let rssMidMb = 0;
    for (let i = 0; i < c.repeats; i++) {
      const t0 = performance.now();
      const sim = new Simulation(spec);
      const half = spec.duration_s / 2;
      sim.advance(half);
      rssMidMb = process.memoryUsage().rss / 2 ** 20;
      const res = sim.result();
      walls.push((performance.now() - t0) / 1000);
      requests = res.summary.total.ios;
      events = sim.events;
    }
    const wall = median(walls);
    const rssEnd = process.memoryUsage().rss / 2 ** 20;
    rows.push([
      c.name,
      requests,
      Math.round(requests / wall),
      (events / Math.max(1, requests)).toFixed(1),
      wall.toFixed(2),
      rssMidMb.toFixed(0),
      rssEnd.toFixed(0),
      (process.resourceUsage().maxRSS / 1024).toFixed(0),
    ]);
  }
  return table(
    [
      'case',
      'requests',
      'req/s (wall)',
      'events/req',
      'median wall s',
      'RSS half MB',
      'RSS end MB',
      'peak RSS MB',
    ],
    rows,
  );
}

process.stdout.write(
  `PV Block Lab engine benchmark (node ${process.version}, one thread)\n\n${runBench()}\n`,
);
