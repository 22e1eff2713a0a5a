/**
 * Builds a bundle's bytes in memory (pure: no Node APIs, so the UI can build one for a download).
 * `write.ts` puts them on disk atomically.
 */
import { type Zippable, zipSync } from 'fflate';
import { type ExperimentResult, type RunResult, runMatrixIndices } from '../../common/result';
import { matrixSize } from '../../common/spec/matrix';
import type { Spec } from '../../common/spec/schema';
import { resolveSpec } from '../../engine/simulation';
import {
  APP_VERSION,
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_VERSION,
  CHART_RE,
  KERNEL_FORMAT_VERSION,
  MANIFEST,
  type Manifest,
  README,
  RESULTS,
  RESULTS_KERNEL,
  RESULTS_REAL,
  SPEC,
  SWEEP_SHARD_FORMAT_VERSION,
  sha256Hex,
  type TimeseriesPrefix,
  TRACE,
  TRACE_FILE_RE,
  TRACE_MAX_ROWS,
  timeseriesFile,
} from './format';

export interface BundleExtras {
  /**
   * A real-disk result (`backend: "real"`, `pvblk real`) of the same spec, stored as
   * results-real.json with its CSVs beside the simulator's `result` (format version 2).
   */
  real?: ExperimentResult;
  /**
   * A kernel result (`backend: "kernel"`, `pvblk kernel`) of the same spec, stored as
   * results-kernel.json with its CSVs (format version 4); `result` is then the comparison
   * simulation (the spec with each run's measured guest overhead).
   */
  kernel?: ExperimentResult;
  /** Trace files of trace workloads by entry name (`traces/<sha256>/<name>`; main/node/trace/bundle.ts). */
  traceFiles?: Record<string, Uint8Array>;
  /** PNG images by name (`"throughput"` or `"throughput.png"` → `charts/throughput.png`). */
  charts?: Record<string, Uint8Array>;
  /** Write trace.csv from the runs' recorded dispatch points (default true). */
  trace?: boolean;
  /** Row cap for trace.csv over all runs (default TRACE_MAX_ROWS). */
  traceMaxRows?: number;
  /**
   * Format version 3: `result` holds only the runs `indices` (ascending matrix indices) of the
   * spec's matrix, shard `shard` of `shards` of a sweep (`pvblk sweep`). Its CSVs are named by
   * matrix index; it has no trace.csv (`pvblk merge` writes the trace of the whole sweep).
   */
  shard?: { shard: number; shards: number; indices: number[] };
  /** Overrides for the manifest (tests; the UI may pass its own platform string). */
  created?: Date;
  platform?: string;
  appVersion?: string;
}

const enc = new TextEncoder();

/** One CSV field: numbers exactly as JS prints them (round-trip), null/undefined empty, text quoted when needed. */
function field(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csv(header: string[], rows: (string | number | boolean | null | undefined)[][]): string {
  const lines = [header.join(',')];
  for (const r of rows) lines.push(r.map(field).join(','));
  return `${lines.join('\n')}\n`;
}

export const VMS_CSV_COLUMNS = [
  't_s',
  'interval_s',
  'vm',
  'mbps',
  'iops',
  'disk_share',
  'p50_ms',
  'p95_ms',
  'p99_ms',
  'guest_ms',
  'qemu_ms',
  'host_queue_ms',
  'device_ms',
];
export const THREADS_CSV_COLUMNS = [
  't_s',
  'interval_s',
  'thread',
  'vm',
  'pid',
  'mbps',
  'disk_share',
  'p50_ms',
  'p99_ms',
];
export const TOTAL_CSV_COLUMNS = [
  't_s',
  'interval_s',
  'mbps',
  'iops',
  'utilization',
  'host_queue',
  'jain_vms',
  'jain_vms_interval',
];
export const TRACE_CSV_COLUMNS = [
  'run',
  't_s',
  'pid',
  'vm',
  'thread',
  'host_context',
  'lba',
  'sectors',
  'bytes',
  'op',
];

/**
 * Simulated seconds each sample covers (the `interval_s` column): the sample interval, more for
 * the older points a long run merged (common/series.ts), so every CSV states its resolution.
 */
function intervals(samples: RunResult['timeseries']['samples']): number[] {
  let prev = 0;
  return samples.map((s) => {
    const d = Math.round((s.t - prev) * 10000) / 10000;
    prev = s.t;
    return d;
  });
}

export function vmsCsv(run: RunResult): string {
  const rows: (string | number | null)[][] = [];
  const dt = intervals(run.timeseries.samples);
  run.timeseries.samples.forEach((s, k) => {
    run.layout.vms.forEach((vm, i) => {
      const b = s.vm_breakdown?.[i];
      rows.push([
        s.t,
        dt[k],
        vm.name,
        s.vm_mbps?.[i],
        s.vm_iops?.[i],
        s.vm_disk_share?.[i],
        s.vm_p50?.[i],
        s.vm_p95?.[i],
        s.vm_p99?.[i],
        b?.guest,
        b?.qemu,
        b?.host_queue,
        b?.device,
      ]);
    });
  });
  return csv(VMS_CSV_COLUMNS, rows);
}

export function threadsCsv(run: RunResult): string {
  const rows: (string | number | null)[][] = [];
  const dt = intervals(run.timeseries.samples);
  run.timeseries.samples.forEach((s, k) => {
    run.layout.threads.forEach((th, i) => {
      rows.push([
        s.t,
        dt[k],
        th.name,
        th.vm >= 0 ? (run.layout.vms[th.vm]?.name ?? th.vm) : '',
        th.pid,
        s.thread_mbps?.[i],
        s.thread_disk_share?.[i],
        s.thread_p50?.[i],
        s.thread_p99?.[i],
      ]);
    });
  });
  return csv(THREADS_CSV_COLUMNS, rows);
}

export function totalCsv(run: RunResult): string {
  const dt = intervals(run.timeseries.samples);
  return csv(
    TOTAL_CSV_COLUMNS,
    run.timeseries.samples.map((s, k) => [
      s.t,
      dt[k],
      s.total_mbps,
      s.total_iops,
      s.utilization,
      s.host_queue,
      s.jain_vms,
      s.jain_vms_interval,
    ]),
  );
}

/** A stopped experiment's line in the bundle's README (empty for a finished one). */
function partialNote(result: ExperimentResult): string {
  if (!result.partial) return '';
  const last = result.runs[result.runs.length - 1]?.partial;
  const where = last
    ? `; run ${result.runs.length} was stopped at ${last.simulated_s.toFixed(2)} s of its ${last.duration_s} s and its numbers cover that time only`
    : '';
  return `\nPARTIAL: the experiment was stopped by the user. It holds ${result.runs.length} of the matrix's ${result.partial.runs_total} runs${where}. \`pvblk replay\` re-runs exactly that much.\n`;
}

/** trace.csv over all runs, capped at `maxRows`; `truncated` also when a run's own trace cap cut it. */
export function traceCsv(
  result: ExperimentResult,
  maxRows: number,
): { text: string; rows: number; truncated: boolean } {
  const rows: (string | number)[][] = [];
  let truncated = false;
  const indices = runMatrixIndices(result);
  outer: for (let r = 0; r < result.runs.length; r++) {
    const run = result.runs[r];
    if (run.trace.truncated) truncated = true;
    const ctxName = new Map(run.layout.contexts.map((c) => [c.id, c.name]));
    const sectorBytes = 512;
    for (const d of run.trace.dispatch) {
      if (rows.length >= maxRows) {
        truncated = true;
        break outer;
      }
      const th = run.layout.threads[d.thread];
      rows.push([
        indices[r],
        d.t,
        th?.pid ?? '',
        d.vm >= 0 ? (run.layout.vms[d.vm]?.name ?? d.vm) : '',
        th?.name ?? d.thread,
        ctxName.get(d.ctx) ?? d.ctx,
        d.sector,
        d.sectors,
        d.sectors * sectorBytes,
        d.write ? 'W' : 'R',
      ]);
    }
  }
  return { text: csv(TRACE_CSV_COLUMNS, rows), rows: rows.length, truncated };
}

/**
 * The spec as stored in spec.json: defaults filled (the caller passes a parsed spec) and the disk
 * preset expanded. When a matrix key addresses the disk (e.g. `disk.preset`), the disk is kept as
 * written, since the matrix values would not apply to an expanded model.
 */
export function bundleSpec(spec: Spec): Spec {
  const touchesDisk = Object.keys(spec.matrix ?? {}).some((k) => k === 'disk' || k.startsWith('disk.'));
  return touchesDisk ? structuredClone(spec) : resolveSpec(spec);
}

const backendOf = (r: ExperimentResult): unknown => (r as { backend?: unknown }).backend;
const isReal = (r: ExperimentResult): boolean => backendOf(r) === 'real';

/**
 * The three CSV time series of every run of `result`, under `prefix` (`''` simulator, `'real-'`
 * real disk), named by the run's matrix index (`indices[k]` for the k-th run, or k).
 */
function putTimeseries(
  files: Map<string, Uint8Array>,
  prefix: TimeseriesPrefix,
  result: ExperimentResult,
  indices?: number[],
): void {
  const at = indices ?? runMatrixIndices(result);
  result.runs.forEach((run, k) => {
    const i = at[k];
    files.set(timeseriesFile(prefix, i, 'vms'), enc.encode(vmsCsv(run)));
    files.set(timeseriesFile(prefix, i, 'threads'), enc.encode(threadsCsv(run)));
    files.set(timeseriesFile(prefix, i, 'total'), enc.encode(totalCsv(run)));
  });
}

function shardReadme(
  spec: Spec,
  result: ExperimentResult,
  shard: NonNullable<BundleExtras['shard']>,
): string {
  return `# PV Block Lab sweep shard: ${spec.name}, shard ${shard.shard} of ${shard.shards}

This zip is one shard of a sweep (bundle format ${SWEEP_SHARD_FORMAT_VERSION}, engine ${result.engine_version}, seed ${result.seed}):
${result.runs.length} of the ${matrixSize(spec)} runs of the spec's matrix, those with index ≡ ${shard.shard - 1} (mod ${shard.shards}).

- \`spec.json\` — the whole sweep's spec, fully resolved (its sha256 is the sweep's identity)
- \`results.json\` — the result JSON of this shard's runs only, in matrix order
- \`timeseries/run-<i>-vms.csv\`, \`-threads.csv\`, \`-total.csv\` — their time series, <i> the matrix index
- \`manifest.json\` — versions, the shard (\`sweep\`: shard, shards, run indices, spec sha256), file hashes

Merge all shards into one bundle, identical to running the whole spec on one machine:

    npx pvblk merge shard-*-of-${shard.shards}.pvblk.zip --out all.pvblk.zip

See docs/sweeps.md in the PV Block Lab repository.
`;
}

/** The runs a real-disk result did not do, for the README (empty when every run ran). */
const notRunNote = (r: ExperimentResult): string =>
  r.not_run?.length
    ? `; not run on this machine: ${r.not_run.map((n) => `run ${n.index} (${n.reason})`).join('; ')} (its \`not_run\` list)`
    : '';

function readme(
  spec: Spec,
  result: ExperimentResult,
  real: ExperimentResult | undefined,
  kernel: ExperimentResult | undefined,
  file = 'FILE.pvblk.zip',
): string {
  const runsText = (r: ExperimentResult) => `${r.runs.length} run${r.runs.length === 1 ? '' : 's'}`;
  const realLines = real
    ? `- \`results-real.json\` — the same spec measured on a real disk (pvblk real): ${runsText(real)}, device and artefact flags in each run's \`real\` block${notRunNote(real)}
- \`timeseries/real-run-<i>-vms.csv\`, \`-threads.csv\`, \`-total.csv\` — its time series (same columns)
`
    : '';
  const kernelLines = kernel
    ? `- \`results-kernel.json\` — the same spec run under a real Linux kernel in QEMU whose disk is the lab's model (pvblk kernel): ${runsText(kernel)}, kernel, scheduler read back, calibration and flags in each run's \`kernel\` block; \`results.json\` is the comparison simulation (the spec with each run's measured guest overhead, \`kernel.sim_overhead_us\`)
- \`timeseries/kernel-run-<i>-vms.csv\`, \`-threads.csv\`, \`-total.csv\` — its time series (same columns)
`
    : '';
  const replayNote = kernel
    ? " Replay re-runs the comparison simulation only (with each run's stored guest overhead); the kernel results are kept as measured."
    : real
      ? ' Replay re-runs the simulator only; the real-disk results are kept as measured.'
      : isReal(result)
        ? ' These results were measured on a real disk, so a replay in the simulator is expected to differ.'
        : '';
  return `# PV Block Lab experiment bundle: ${spec.name}

${spec.description ? `${spec.description}\n\n` : ''}This zip is a complete, shareable PV Block Lab experiment (bundle format ${kernel ? KERNEL_FORMAT_VERSION : BUNDLE_FORMAT_VERSION},
engine ${result.engine_version}, ${result.runs.length} run${result.runs.length === 1 ? '' : 's'}, seed ${result.seed}).${notRunNote(result)}
${partialNote(result)}
- \`spec.json\` — the experiment spec, fully resolved (disk preset expanded, defaults filled)
- \`results.json\` — the result JSON (summaries, time series, dispatch trace) as the ${isReal(result) ? 'real-disk backend measured it' : 'engine produced it'}
- \`timeseries/run-<i>-vms.csv\`, \`-threads.csv\`, \`-total.csv\` — the time series per run (units in the column names)
${realLines}${kernelLines}- \`trace.csv\` — the dispatched requests (capped), when present
- \`charts/*.png\` — charts as exported from the app, when present
- \`manifest.json\` — format and versions, and the sha256 of every other file

Open it in the app (File → Import bundle) to see the spec, results and charts without re-running.
Replay it from the command line, re-running the spec and comparing every number:

    npx pvblk replay ${file}

The simulation is deterministic: with the same engine version the replay is identical.${replayNote}
See docs/bundles.md in the PV Block Lab repository for the format and the CSV columns.
`;
}

/** Build the bundle's zip bytes. */
export async function buildBundle(
  spec: Spec,
  result: ExperimentResult,
  extras: BundleExtras = {},
): Promise<Uint8Array> {
  const created = extras.created ?? new Date();
  const real = extras.real;
  if (real && !isReal(real))
    throw new Error('the real-disk result of a bundle must be a real-backend result (backend "real")');
  if (real && isReal(result))
    throw new Error("with a real-disk result beside it, a bundle's results.json must be the simulator's");
  const kernel = extras.kernel;
  if (kernel && backendOf(kernel) !== 'kernel')
    throw new Error('the kernel result of a bundle must be a kernel-backend result (backend "kernel")');
  if (kernel && backendOf(result) !== undefined && backendOf(result) !== 'sim')
    throw new Error("with a kernel result beside it, a bundle's results.json must be the simulator's");
  const shard = extras.shard;
  if (shard && (real || kernel)) throw new Error('a sweep shard holds simulated results only');
  if (shard && shard.indices.length !== result.runs.length)
    throw new Error(`a sweep shard of ${shard.indices.length} runs got ${result.runs.length} results`);
  const files = new Map<string, Uint8Array>();
  files.set(SPEC, enc.encode(`${JSON.stringify(bundleSpec(spec), null, 2)}\n`));
  files.set(RESULTS, enc.encode(JSON.stringify(result)));
  putTimeseries(files, '', result, shard?.indices);
  if (real) {
    files.set(RESULTS_REAL, enc.encode(JSON.stringify(real)));
    putTimeseries(files, 'real-', real);
  }
  if (kernel) {
    files.set(RESULTS_KERNEL, enc.encode(JSON.stringify(kernel)));
    putTimeseries(files, 'kernel-', kernel);
  }
  let trace: Manifest['trace'];
  if (!shard && (extras.trace ?? true)) {
    const t = traceCsv(result, extras.traceMaxRows ?? TRACE_MAX_ROWS);
    files.set(TRACE, enc.encode(t.text));
    trace = { rows: t.rows, truncated: t.truncated };
  }
  for (const [name, data] of Object.entries(extras.traceFiles ?? {})) {
    if (!TRACE_FILE_RE.test(name))
      throw new Error(`trace file entry "${name}": expected traces/<sha256>/<name>`);
    files.set(name, data);
  }
  for (const [key, png] of Object.entries(extras.charts ?? {})) {
    const name = `charts/${key.endsWith('.png') ? key : `${key}.png`}`;
    if (!CHART_RE.test(name))
      throw new Error(`chart name "${key}": use letters, digits, ".", "_" and "-" only`);
    files.set(name, png);
  }
  files.set(
    README,
    enc.encode(shard ? shardReadme(spec, result, shard) : readme(spec, result, real, kernel)),
  );

  const hashes: Record<string, string> = {};
  for (const [name, data] of files) hashes[name] = await sha256Hex(data);
  const manifest: Manifest = {
    format: BUNDLE_FORMAT,
    format_version: shard
      ? SWEEP_SHARD_FORMAT_VERSION
      : kernel
        ? KERNEL_FORMAT_VERSION
        : BUNDLE_FORMAT_VERSION,
    app_version: extras.appVersion ?? APP_VERSION,
    engine_version: result.engine_version,
    created: created.toISOString(),
    platform: extras.platform ?? defaultPlatform(),
    files: hashes,
    ...(trace ? { trace } : {}),
    ...(shard
      ? {
          sweep: {
            shard: shard.shard,
            shards: shard.shards,
            runs_total: matrixSize(spec),
            indices: shard.indices,
            spec_sha256: hashes[SPEC],
          },
        }
      : {}),
  };

  const zippable: Zippable = {};
  const opts = { os: 3, attrs: (0o100644 << 16) >>> 0, mtime: created };
  zippable[MANIFEST] = [enc.encode(`${JSON.stringify(manifest, null, 2)}\n`), { ...opts, level: 6 }];
  for (const [name, data] of files)
    zippable[name] = [data, { ...opts, level: name.endsWith('.png') ? 0 : 6 }];
  return zipSync(zippable);
}

function defaultPlatform(): string {
  const p = (globalThis as { process?: { platform?: string; arch?: string; versions?: { node?: string } } })
    .process;
  if (p?.platform) return `${p.platform}-${p.arch ?? '?'} node ${p.versions?.node ?? '?'}`;
  const nav = (globalThis as { navigator?: { userAgent?: string } }).navigator;
  return nav?.userAgent ? `browser ${nav.userAgent}`.slice(0, 200) : 'unknown';
}
