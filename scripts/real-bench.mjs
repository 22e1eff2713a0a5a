// Real-disk backend vs fio on the same file, block size, depth and pattern (sequential 64 KiB
// reads and random 4 KiB reads, iodepth 1, O_DIRECT, psync). Imported by scripts/bench.mjs after
// the engine bench; runnable alone: `node scripts/real-bench.mjs` (after `npm run build`).
// Env: PVBLK_BENCH_DIR (default: a new folder under os.tmpdir()), PVBLK_BENCH_GB (file size, default 1),
// PVBLK_BENCH_S (1 s slices per side, default 9).
// Each backend slice is bracketed by two fio slices; the ratio of a slice is its throughput over
// the mean of the fio slices around it, and the bench reports the median ratio and its range, so
// the drift of a shared (virtual) disk weighs on both sides alike. It also prints the CPU time per
// request of each side (the backend's I/O thread from /proc/thread-self/stat, fio's usr+sys), the
// one cost the backend adds to the device's.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'out', 'main', 'real.js');

function fioPath() {
  const r = spawnSync('fio', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? 'fio' : null;
}

async function main() {
  console.log('\n== real-disk backend vs fio');
  if (!fioPath()) {
    console.log('real-bench: skipped, fio is not installed (apt-get install fio)');
    return;
  }
  if (!existsSync(entry)) {
    console.log('real-bench: skipped, out/main/real.js missing; run `npm run build`');
    return;
  }
  const { runReal, parseSpec } = await import(pathToFileURL(entry).href);
  const own = !process.env.PVBLK_BENCH_DIR;
  const dir = process.env.PVBLK_BENCH_DIR ?? mkdtempSync(join(tmpdir(), 'pvblk-real-bench-'));
  if (!own) mkdirSync(dir, { recursive: true });
  const gb = Number(process.env.PVBLK_BENCH_GB ?? 1);
  const secs = Number(process.env.PVBLK_BENCH_S ?? 9);
  const cases = [
    { name: 'sequential read 64k', pattern: 'sequential', block_kb: 64, rw: 'read', bs: '64k' },
    { name: 'random read 4k', pattern: 'random', block_kb: 4, rw: 'randread', bs: '4k' },
  ];
  const rows = [];
  try {
    for (const c of cases) {
      const spec = parseSpec({
        name: `real-bench ${c.name}`,
        duration_s: secs,
        sample_interval_ms: 500,
        native: [
          { name: 'r', op: 'read', pattern: c.pattern, block_kb: c.block_kb, iodepth: 1, size_gb: gb },
        ],
      });
      // fio and the backend alternate in 1 s slices on the same file (fio, B, fio, B, …): drifts of
      // the device (host caches, neighbours' load) weigh on both sides alike; each side is the mean
      // of its slices
      const fios = [];
      let fioFile = null;
      const runFio = ([file]) => {
        fioFile = file;
        const out = execFileSync(
          'fio',
          [
            '--name=x',
            `--filename=${file}`,
            '--readonly',
            '--direct=1',
            `--rw=${c.rw}`,
            `--bs=${c.bs}`,
            '--iodepth=1',
            '--ioengine=psync',
            '--runtime=1',
            '--time_based',
            '--output-format=json',
          ],
          { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
        );
        const job = JSON.parse(out.slice(out.indexOf('{'))).jobs[0];
        fios.push({
          mbps: job.read.bw_bytes / 1e6,
          iops: job.read.iops,
          lat_ms: job.read.clat_ns.mean / 1e6,
          cpu_us:
            (((job.usr_cpu + job.sys_cpu) / 100) * (job.job_runtime / 1000) * 1e6) /
            Math.max(1, job.read.total_ios),
        });
      };
      const slices = Math.max(2, Math.round(secs));
      const seeds = Array.from({ length: slices }, (_, i) => i + 1);
      const res = await runReal(
        { ...spec, duration_s: 1, matrix: { seed: seeds } },
        {
          dir,
          sizeGb: gb,
          beforeRuns: async (files) => runFio(files),
          onRunDone: (i) => {
            if (i < slices - 1) runFio([fioFile]);
          },
          afterRuns: async (files) => runFio(files),
        },
      );
      const mean = (xs, k) => xs.reduce((s, x) => s + x[k], 0) / xs.length;
      const median = (xs) => {
        const a = [...xs].sort((x, y) => x - y);
        return a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
      };
      const fio = { mbps: mean(fios, 'mbps'), iops: mean(fios, 'iops'), lat_ms: mean(fios, 'lat_ms') };
      const ts = res.runs.map((r) => r.summary.native[0]);
      const ours = {
        mbps: mean(ts, 'mbps'),
        iops: mean(ts, 'iops'),
        lat_ms: ts.reduce((s, t) => s + t.latency_ms.mean, 0) / ts.length,
      };
      // slice i of the backend against the fio slices just before and after it
      const ratios = ts.map(
        (t, i) => t.mbps / ((fios[i].mbps + fios[Math.min(i + 1, fios.length - 1)].mbps) / 2),
      );
      const cpuOurs = res.runs.map((r) => {
        const th = r.real.processes.flatMap((p) => p.threads);
        const cpu = th.reduce((s, t) => s + t.cpu_s, 0);
        return (
          (cpu * 1e6) / Math.max(1, r.summary.native[0].ios / (r.summary.measured_s / r.layout.duration_s))
        );
      });
      ours.ratio = median(ratios);
      ours.ratioMin = Math.min(...ratios);
      ours.ratioMax = Math.max(...ratios);
      ours.cpu_us = median(cpuOurs);
      fio.cpu_us = median(fios.map((f) => f.cpu_us));
      rows.push({ c, ours, fio, real: res.runs[0].real });
    }
  } finally {
    if (own) rmSync(dir, { recursive: true, force: true });
  }
  const real = rows[0]?.real;
  if (real)
    console.log(
      `device ${real.device ?? 'unknown'}, scheduler ${real.scheduler ?? 'unknown'}, rotational ${real.rotational}, ${gb} GiB file, ${Math.max(2, Math.round(secs))} alternating 1 s slices each`,
    );
  const pad = (s, n) => String(s).padStart(n);
  console.log(
    `${'case'.padEnd(22)}${pad('backend MB/s', 14)}${pad('fio MB/s', 10)}${pad('median ratio', 14)}${pad('range', 14)}${pad('backend ms', 12)}${pad('fio ms', 9)}${pad('CPU µs/req', 12)}${pad('fio', 7)}`,
  );
  for (const r of rows) {
    console.log(
      `${r.c.name.padEnd(22)}${pad(r.ours.mbps.toFixed(1), 14)}${pad(r.fio.mbps.toFixed(1), 10)}${pad(r.ours.ratio.toFixed(3), 14)}` +
        `${pad(`${r.ours.ratioMin.toFixed(2)}–${r.ours.ratioMax.toFixed(2)}`, 14)}${pad(r.ours.lat_ms.toFixed(3), 12)}${pad(r.fio.lat_ms.toFixed(3), 9)}` +
        `${pad(r.ours.cpu_us.toFixed(1), 12)}${pad(r.fio.cpu_us.toFixed(1), 7)}${r.ours.ratio >= 0.95 ? '' : '  (below the 0.95 target)'}`,
    );
  }
  for (const f of real?.flags ?? []) console.log(`  ! ${f}`);
}

await main();
