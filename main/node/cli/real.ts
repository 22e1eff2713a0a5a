/**
 * `pvblk real`: the spec's experiment against real files in a folder of the local disk
 * (main/node/real), and the same spec in the simulator beside it (unless --no-sim): a sim vs real
 * table, and a bundle holding both. Exit status: 0 when at least one run ran (runs this machine
 * cannot do are reported as not run), 2 invalid spec/argument or a refusal (unsafe folder, no
 * O_DIRECT, no room, no run of the matrix can run here, over the cost limits), 1 otherwise, 130 cancelled.
 */

import { parseArgs } from 'node:util';
import {
  type ExperimentResult,
  type NotRunEntry,
  type RunResult,
  runMatrixIndices,
} from '../../common/result';
import { withDuration } from '../../common/spec/duration';
import type { SpecInput } from '../../common/spec/schema';
import { formatErrors, validateSpec } from '../../common/spec/validate';
import { type RealExperimentResult, RealRefusal, runReal } from '../real/index';
import { runExperiment } from '../runner';
import { checkSpecCost } from './guard';
import { checkOutputPath } from './refusal';
import { paramLabel, report } from './report';
import { SpecArgError, specFromArgs } from './spec-args';

/** Columns of the sim vs real table (after the row label). */
export const SIM_VS_REAL_COLUMNS = [
  'sim MB/s',
  'real MB/s',
  'sim IOPS',
  'real IOPS',
  'sim mean ms',
  'real mean ms',
  'sim disk %',
  'real disk %',
] as const;

import { fmt, table } from './table';

export const REAL_HELP = `pvblk real [SPEC.json | --preset NAME] --dir DIR [--size-gb N] [--duration S] [--json] [--out FILE] [--no-sim] [--allow-large]
  Runs every run of the spec on real files in DIR (O_DIRECT, one process per VM, one OS thread per
  host context). DIR is created when its parent exists (and removed again afterwards if empty).
  Image/native files are capped at --size-gb GiB each (default 1), regions scaled.
  The host I/O scheduler is the device's current one; the lab never changes it.
  A run this machine cannot do (vpid-group without a proportional-weight I/O policy: bfq's or
  io.cost's cgroup weights) is skipped and reported as not run, with the reason; the others run.
  Then simulates the same spec and prints a sim vs real table; --out writes a bundle holding both
  results (results.json simulated, results-real.json real). --no-sim: no simulation, a real-only
  bundle. With --json (stdout: the real result) the simulation runs only for --out. The simulation
  is held to the limits of \`pvblk run\` (checked before the disk is touched; --allow-large lifts them).
  Exit status: 0 when at least one run ran (runs not run are in the table and the result's
  not_run list); 2 when none could, or a bad spec, argument or folder; 1 other failure; 130 cancelled.
`;

function fail(msg: string): number {
  process.stderr.write(`pvblk real: ${msg}\n`);
  return 2;
}

function realReport(res: RealExperimentResult): string {
  const lines = [report(res), ''];
  const indices = runMatrixIndices(res);
  res.runs.forEach((r, k) => {
    const x = r.real;
    lines.push(
      `real run ${indices[k] + 1} ${paramLabel(r)}: device ${x.device ?? 'unknown'}${x.partition ? ` (${x.partition})` : ''}, ` +
        `scheduler ${x.scheduler ?? 'unknown'}, rotational ${x.rotational ?? 'unknown'}, dir ${x.dir}`,
    );
    lines.push(
      `  OS contexts: ${x.processes.map((p) => `${p.name} pid ${p.pid} × ${p.threads.length} thread(s)`).join('; ')}`,
    );
    lines.push(
      `  mean wait for the context thread ${x.mean_wait_ms} ms, mean pread/pwrite ${x.mean_call_ms} ms`,
    );
    for (const f of x.flags) lines.push(`  ! ${f}`);
  });
  return lines.join('\n');
}

/** Figures of one row of the sim vs real table (a VM, a native thread or the total). */
interface Flow {
  mbps: number;
  iops: number;
  latency_ms: { mean: number };
  disk_time_share?: number;
}

/** The sim vs real columns with another name for the measured side (`pvblk kernel`: "kernel"). */
export const simVsColumns = (label: string): string[] =>
  SIM_VS_REAL_COLUMNS.map((c) => c.replace(/^real /, `${label} `));

/**
 * Per run, per VM (and native thread, and the total): the simulated and the measured figures side
 * by side; `label` names the measured side (real disk, or `pvblk kernel`'s guest kernel).
 */
export function simVsRealReport(sim: ExperimentResult, real: ExperimentResult, label = 'real'): string {
  const out: string[] = [];
  const pct = (f: Flow | undefined) =>
    f?.disk_time_share === undefined ? '-' : fmt(f.disk_time_share * 100);
  const header = ['who', ...simVsColumns(label)];
  // One section per run of the matrix, in matrix order: a run the measured side did not do is a
  // section that says so (the simulated figures beside "not run"), not a gap.
  const indices = runMatrixIndices(real);
  const sections: { index: number; run?: RunResult; notRun?: NotRunEntry }[] = [
    ...real.runs.map((run, k) => ({ index: indices[k], run })),
    ...(real.not_run ?? []).map((notRun) => ({ index: notRun.index, notRun })),
  ].sort((a, b) => a.index - b.index);
  for (const { index, run: r, notRun } of sections) {
    const s: RunResult | undefined = sim.runs[index];
    const rows: string[][] = [];
    // `b` absent: the measured side has no such row ('-'), or did not run at all ('not run').
    const row = (who: string, a: Flow | undefined, b: Flow | undefined, none = '-') =>
      rows.push([
        who,
        fmt(a?.mbps),
        b ? fmt(b.mbps) : none,
        fmt(a?.iops, 0),
        b ? fmt(b.iops, 0) : none,
        fmt(a?.latency_ms.mean, 2),
        b ? fmt(b.latency_ms.mean, 2) : none,
        pct(a),
        b ? pct(b) : none,
      ]);
    if (notRun) {
      for (const vm of s?.summary.vms ?? []) row(vm.name, vm, undefined, 'not run');
      for (const t of s?.summary.native ?? []) row(`native ${t.name}`, t, undefined, 'not run');
      row('total', s?.summary.total, undefined, 'not run');
      out.push(
        `== sim vs ${label} ${paramLabel(notRun)}`,
        table(header, rows),
        `  ${label}: not run: ${notRun.reason}`,
        '',
      );
      continue;
    }
    if (!r) continue;
    const simVms = s?.summary.vms ?? [];
    const simNative = s?.summary.native ?? [];
    for (const vm of r.summary.vms)
      row(
        vm.name,
        simVms.find((v) => v.name === vm.name),
        vm,
      );
    for (const t of r.summary.native)
      row(
        `native ${t.name}`,
        simNative.find((x) => x.name === t.name),
        t,
      );
    row('total', s?.summary.total, r.summary.total);
    out.push(`== sim vs ${label} ${paramLabel(r)}`, table(header, rows), '');
  }
  return out.join('\n');
}

export async function cmdReal(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      preset: { type: 'string' },
      dir: { type: 'string' },
      'size-gb': { type: 'string' },
      duration: { type: 'string' },
      json: { type: 'boolean', default: false },
      out: { type: 'string' },
      'no-sim': { type: 'boolean', default: false },
      'allow-large': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(REAL_HELP);
    return 0;
  }
  let input: SpecInput;
  let source: string;
  try {
    ({ input, source } = specFromArgs(positionals, values.preset));
  } catch (e) {
    if (e instanceof SpecArgError) return fail(e.message);
    throw e;
  }
  if (!values.dir)
    return fail('--dir DIR is required (a folder on the disk to test; the lab writes only its own files)');
  let sizeGb: number | undefined;
  if (values['size-gb'] !== undefined) {
    sizeGb = Number(values['size-gb']);
    if (!Number.isFinite(sizeGb) || sizeGb <= 0)
      return fail(`--size-gb: expected a positive number, got "${values['size-gb']}"`);
  }
  if (values.duration !== undefined) {
    const d = Number(values.duration);
    if (!Number.isFinite(d) || d <= 0)
      return fail(`--duration: expected a positive number, got "${values.duration}"`);
    withDuration(input, d);
  }
  const v = validateSpec(input);
  if (!v.ok) {
    process.stderr.write(`${source}: invalid spec\n${formatErrors(v.errors).replace(/^/gm, '  ')}\n`);
    return 2;
  }
  // The follow-up simulation is held to the limits of \`pvblk run\`, before anything touches the disk.
  const simulate = !values['no-sim'] && (!!values.out || !values.json);
  if (simulate) checkSpecCost(v.spec, source, values['allow-large']);
  if (values.out) checkOutputPath(values.out);
  const ac = new AbortController();
  const onSig = () => {
    if (!values.json) process.stderr.write('\npvblk real: stopping, removing files…\n');
    ac.abort();
  };
  process.on('SIGINT', onSig);
  process.on('SIGTERM', onSig);
  try {
    const result = await runReal(v.spec, {
      dir: values.dir,
      createDir: true,
      sizeGb,
      signal: ac.signal,
      onProgress: (m) => {
        if (!values.json) process.stderr.write(`${m}\n`);
      },
    });
    // The simulator on the same spec, when its result is used (the bundle, the human table).
    let sim: ExperimentResult | null = null;
    if (simulate) {
      if (!values.json) process.stderr.write('simulating the same spec\n');
      sim = await runExperiment(v.spec);
    }
    if (values.out) {
      const { writeBundle } = await import('../bundle/write');
      if (sim) await writeBundle(values.out, v.spec, sim, { real: result });
      else await writeBundle(values.out, v.spec, result);
      if (!values.json)
        process.stderr.write(
          `bundle written to ${values.out}${sim ? ' (simulated and real results)' : ' (real results only)'}\n`,
        );
    }
    process.stdout.write(
      values.json
        ? `${JSON.stringify(result)}\n`
        : `${realReport(result)}\n${sim ? `\n${simVsRealReport(sim, result)}` : ''}`,
    );
    return 0;
  } catch (e) {
    if (e instanceof RealRefusal) return fail(e.message);
    if ((e as Error).name === 'AbortError') {
      process.stderr.write('pvblk real: cancelled; files removed\n');
      return 130;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
  }
}
