// Real-disk backend vs fio on the same file, block size, depth and pattern (sequential 64 KiB
// reads and random 4 KiB reads, iodepth 1, O_DIRECT, psync). Imported by scripts/bench.mjs after
// the engine bench; runnable alone: `node scripts/real-bench.mjs` (after `npm run build`).
// Env: PVBLK_BENCH_DIR (default: a new folder under os.tmpdir()), PVBLK_BENCH_GB (file size, default 1),
// PVBLK_BENCH_S (seconds per measurement, default 5).
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
  const secs = Number(process.env.PVBLK_BENCH_S ?? 5);
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
      const fio = { mbps: mean(fios, 'mbps'), iops: mean(fios, 'iops'), lat_ms: mean(fios, 'lat_ms') };
      const ts = res.runs.map((r) => r.summary.native[0]);
      const ours = {
        mbps: mean(ts, 'mbps'),
        iops: mean(ts, 'iops'),
        lat_ms: ts.reduce((s, t) => s + t.latency_ms.mean, 0) / ts.length,
      };
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
    `${'case'.padEnd(22)}${pad('backend MB/s', 14)}${pad('fio MB/s', 10)}${pad('ratio', 8)}${pad('backend ms', 12)}${pad('fio ms', 9)}`,
  );
  for (const r of rows) {
    const ratio = r.fio ? r.ours.mbps / r.fio.mbps : Number.NaN;
    console.log(
      `${r.c.name.padEnd(22)}${pad(r.ours.mbps.toFixed(1), 14)}${pad(r.fio ? r.fio.mbps.toFixed(1) : '-', 10)}${pad(ratio.toFixed(3), 8)}` +
        `${pad(r.ours.lat_ms.toFixed(3), 12)}${pad(r.fio ? r.fio.lat_ms.toFixed(3) : '-', 9)}${ratio >= 0.95 ? '' : '  (below the 0.95 target)'}`,
    );
  }
  for (const f of real?.flags ?? []) console.log(`  ! ${f}`);
}

await main();
