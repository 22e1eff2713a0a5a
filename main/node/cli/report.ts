/** Human-readable report of an experiment result (the CLI's default output). */
import {
  type ExperimentResult,
  type NotRunEntry,
  type RunResult,
  runMatrixIndices,
} from '../../common/result';
import { fmt, table } from './table';

/** A run's matrix values as `key=value …`, or `(single run)`. */
export const paramLabel = (r: Pick<RunResult, 'params'>): string =>
  Object.entries(r.params)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ') || '(single run)';

function runDetail(r: RunResult): string {
  const s = r.summary;
  type Flow = {
    mbps: number;
    iops: number;
    disk_time_share: number;
    latency_ms: { mean: number; p99: number; p999?: number; max: number };
  };
  const row = (who: string, mapping: string, f: Flow) => [
    who,
    mapping,
    fmt(f.mbps),
    fmt(f.iops, 0),
    fmt(f.disk_time_share * 100),
    fmt(f.latency_ms.mean, 2),
    fmt(f.latency_ms.p99, 2),
    fmt(f.latency_ms.p999, 2),
    fmt(f.latency_ms.max, 2),
  ];
  const rows: string[][] = [];
  for (const vm of s.vms) {
    rows.push(row(vm.name, vm.mapping, vm));
    for (const t of vm.threads) rows.push(row(`  ${t.name}`, '', t));
  }
  for (const t of s.native) rows.push(row(`native ${t.name}`, '', t));
  // a real-disk run (pvblk real) cannot observe seeks, the drive's cache or the kernel scheduler's idling
  const real = 'real' in r;
  const head = [
    `total ${fmt(s.total.mbps)} MB/s, ${fmt(s.total.iops, 0)} IOPS, mean latency ${fmt(s.total.latency_ms.mean, 2)} ms (p99 ${fmt(s.total.latency_ms.p99, 2)}, p99.9 ${fmt(s.total.latency_ms.p999, 2)}, max ${fmt(s.total.latency_ms.max, 2)})`,
    real
      ? `disk: utilization ${fmt(s.disk.utilization * 100)} % (device-wide, from /sys/block/*/stat); seeks and cache hits are not observable`
      : `disk: utilization ${fmt(s.disk.utilization * 100)} %, ${s.disk.seeks} seeks (mean ${fmt(s.disk.mean_seek_cyl, 0)} cyl), cache hits ${fmt(s.disk.cache_hit_ratio * 100)} %`,
    ...(s.disk.response_time_ms === undefined
      ? []
      : [
          `disk times (DiskSim's): response ${fmt(s.disk.response_time_ms, 3)} ms (dispatch to completion), access ${fmt(s.disk.access_time_ms, 3)} ms (positioning ${fmt(s.disk.positioning_time_ms, 3)} + media transfer)`,
        ]),
    `fairness: Jain over VMs ${fmt(s.fairness.jain_vms, 3)}, over threads ${fmt(s.fairness.jain_threads, 3)}`,
    real
      ? `scheduler ${s.scheduler.name} (the kernel's; its idling and queue switches are not observable)`
      : `scheduler ${s.scheduler.name}: ${s.scheduler.idle_windows} idle windows (${s.scheduler.idle_paid_off} paid off, ${fmt(s.scheduler.idle_s, 2)} s), ${s.scheduler.switches} queue switches`,
  ];
  const detail = `${head.join('\n')}\n\n${table(['who', 'mapping', 'MB/s', 'IOPS', 'disk %', 'mean ms', 'p99 ms', 'p99.9 ms', 'max ms'], rows)}`;
  const waiting = stalled(r);
  const traced = traceLines(r);
  const withTraces = traced.length ? `${detail}\n${traced.join('\n')}` : detail;
  return waiting.length
    ? `${withTraces}\nstill waiting at the end: ${waiting.join(', ')}\n${STARVED_NOTE}`
    : withTraces;
}

/** One line per trace-replaying thread: records, issued, out of range (remapped / dropped), whether it ended. */
export function traceLines(r: RunResult): string[] {
  return (r.summary.traces ?? []).map(
    (t) =>
      `trace ${t.thread} (${t.file}): ${t.records} records, ${t.issued} issued, ${t.out_of_range} out of range (${t.remapped} remapped, ${t.dropped} dropped)${t.exhausted ? ', trace ended before the run' : ''}`,
  );
}

/** The one-line explanation under the stalled threads of a run. */
export const STARVED_NOTE =
  'starved: each had an I/O waiting that long while the disk served other threads; the latency columns count completed I/Os only, so they do not show that wait.';

/** An I/O still pending at the end after this long is reported as a stall. */
export const STALL_MS = 1000;

/** Threads whose oldest pending I/O had waited ≥ STALL_MS when the run ended, as `name (N I/O, T s)`. */
export function stalled(r: RunResult): string[] {
  const s = r.summary;
  return [...s.vms.flatMap((v) => v.threads), ...s.native]
    .filter((t) => (t.oldest_pending_ms ?? 0) >= STALL_MS)
    .map((t) => `${t.name} (${t.pending_ios} I/O, oldest ${fmt((t.oldest_pending_ms ?? 0) / 1000, 2)} s)`);
}

export function report(res: ExperimentResult): string {
  const out: string[] = [`${res.name} (seed ${res.seed}, engine ${res.engine_version})`, ''];
  // Runs the backend could not do (real disk: `not_run`) keep their place in matrix order.
  const indices = runMatrixIndices(res);
  const notRunAt = new Map((res.not_run ?? []).map((n) => [n.index, n]));
  const inOrder = <T>(done: (r: RunResult) => T, notRun: (n: NotRunEntry) => T): T[] => {
    const list = res.runs.map((r, k) => ({ at: indices[k], item: done(r) }));
    for (const [at, n] of notRunAt) list.push({ at, item: notRun(n) });
    return list.sort((a, b) => a.at - b.at).map((x) => x.item);
  };
  if (res.runs.length + notRunAt.size > 1 && res.runs.length > 0) {
    const vmNames = res.runs[0].summary.vms.map((v) => v.name);
    out.push(
      table(
        [
          'run',
          'total MB/s',
          'Jain VMs',
          ...vmNames.map((n) => `${n} MB/s`),
          ...vmNames.map((n) => `${n} disk %`),
          'p99 ms',
          'max ms',
        ],
        inOrder(
          (r) => [
            paramLabel(r),
            fmt(r.summary.total.mbps),
            fmt(r.summary.fairness.jain_vms, 3),
            ...r.summary.vms.map((v) => fmt(v.mbps)),
            ...r.summary.vms.map((v) => fmt(v.disk_time_share * 100)),
            fmt(r.summary.total.latency_ms.p99, 2),
            fmt(r.summary.total.latency_ms.max, 2),
          ],
          (n) => [`${paramLabel(n)} (not run)`, ...Array<string>(3 + 2 * vmNames.length).fill('-')],
        ),
      ),
      '',
    );
  }
  out.push(
    ...inOrder(
      (r) => `== ${paramLabel(r)}\n${runDetail(r)}\n`,
      (n) => `== ${paramLabel(n)}: not run\n  ${n.reason}\n`,
    ),
  );
  return out.join('\n');
}
