/**
 * Aggregation for the sweep view (pure, no Vue): a metric of every run's summary against one or
 * two matrix parameters, small multiples per a third, the remaining parameters either fixed at one
 * value or averaged over (seeds by default), as the mean with a 95 % confidence interval (Student's
 * t). Works on summaries only, so thousands of runs aggregate in milliseconds; a run's time series
 * are drawn only when it is opened.
 */
import type { RunResult } from '@common/result';
import { isSweepParams } from '@common/spec/matrix';

export type ParamValue = string | number | boolean;

export interface SweepRun {
  index: number;
  params: Record<string, ParamValue>;
  summary: RunResult['summary'];
}

export interface Metric {
  id: string;
  label: string;
  get: (s: RunResult['summary']) => number | null;
}

export const METRICS: Metric[] = [
  { id: 'mbps', label: 'throughput (MB/s)', get: (s) => s.total.mbps },
  { id: 'iops', label: 'IOPS', get: (s) => s.total.iops },
  { id: 'lat_mean', label: 'mean latency (ms)', get: (s) => s.total.latency_ms.mean },
  { id: 'lat_p99', label: 'p99 latency (ms)', get: (s) => s.total.latency_ms.p99 },
  { id: 'jain_vms', label: "Jain's index over VMs", get: (s) => s.fairness.jain_vms },
  { id: 'jain_threads', label: "Jain's index over threads", get: (s) => s.fairness.jain_threads },
  { id: 'util', label: 'disk utilization', get: (s) => s.disk.utilization },
  { id: 'seek_cyl', label: 'mean seek distance (cylinders)', get: (s) => s.disk.mean_seek_cyl },
];

export interface Axis {
  key: string;
  values: ParamValue[];
  numeric: boolean;
}

/** The matrix parameters of the runs, with their values in first-seen order (numbers sorted). */
export function sweepAxes(runs: SweepRun[]): Axis[] {
  const byKey = new Map<string, ParamValue[]>();
  for (const r of runs)
    for (const [k, v] of Object.entries(r.params)) {
      const list = byKey.get(k) ?? [];
      if (!byKey.has(k)) byKey.set(k, list);
      if (!list.includes(v)) list.push(v);
    }
  return [...byKey].map(([key, values]) => {
    const numeric = values.every((v) => typeof v === 'number');
    return {
      key,
      values: numeric ? [...values].sort((a, b) => (a as number) - (b as number)) : values,
      numeric,
    };
  });
}

/** Is this result worth a sweep view: at least two matrix parameters that vary, or many runs. */
export function isSweep(runs: SweepRun[]): boolean {
  return isSweepParams(runs.map((r) => r.params));
}

/** Two-sided 95 % Student t quantiles for 1..30 degrees of freedom; 1.96 beyond. */
const T95 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export interface Stat {
  n: number;
  mean: number;
  /** Half-width of the 95 % confidence interval of the mean (0 with one value). */
  ci: number;
}

export function meanCi(xs: number[]): Stat | null {
  const v = xs.filter((x) => Number.isFinite(x));
  const n = v.length;
  if (n === 0) return null;
  const mean = v.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { n, mean, ci: 0 };
  const sd = Math.sqrt(v.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  return { n, mean, ci: (n - 1 <= 30 ? T95[n - 2] : 1.96) * (sd / Math.sqrt(n)) };
}

/** `ALL`: average over every value of a parameter (mean ± CI); otherwise a parameter is fixed at one value. */
export const ALL = Symbol('all');
export type Filter = ParamValue | typeof ALL;

export interface Cell extends Stat {
  x: ParamValue;
  /** The runs behind this point (their indices), first the one shown when it is clicked. */
  runs: number[];
}

export interface Series {
  value: ParamValue | null;
  cells: Cell[];
}

export interface Panel {
  value: ParamValue | null;
  series: Series[];
}

export interface View {
  metric: string;
  x: string;
  series: string | null;
  panel: string | null;
  /** Every other parameter: a fixed value or ALL. */
  filters: Record<string, Filter>;
}

/** Default filters: a parameter named like a seed is averaged over, others fixed at their first value. */
export function defaultFilters(axes: Axis[], used: (string | null)[]): Record<string, Filter> {
  const f: Record<string, Filter> = {};
  for (const a of axes)
    if (!used.includes(a.key))
      f[a.key] = /(^|\.)seed$/.test(a.key) || a.values.length === 1 ? ALL : a.values[0];
  return f;
}

const keyOf = (v: ParamValue | null) => JSON.stringify(v);

/** Group the runs into panels × series × x cells, aggregating the metric over everything not fixed. */
export function aggregate(runs: SweepRun[], view: View, axes: Axis[]): Panel[] {
  const metric = METRICS.find((m) => m.id === view.metric) ?? METRICS[0];
  const axis = (k: string | null) => (k ? axes.find((a) => a.key === k) : undefined);
  const xs = axis(view.x)?.values ?? [];
  const ss = view.series ? (axis(view.series)?.values ?? []) : [null];
  const ps = view.panel ? (axis(view.panel)?.values ?? []) : [null];
  const groups = new Map<string, { values: number[]; runs: number[] }>();
  for (const r of runs) {
    let keep = true;
    for (const [k, f] of Object.entries(view.filters))
      if (f !== ALL && k in r.params && r.params[k] !== f) {
        keep = false;
        break;
      }
    if (!keep) continue;
    const g = `${keyOf(view.panel ? r.params[view.panel] : null)}|${keyOf(view.series ? r.params[view.series] : null)}|${keyOf(r.params[view.x])}`;
    const e = groups.get(g) ?? { values: [], runs: [] };
    if (!groups.has(g)) groups.set(g, e);
    const y = metric.get(r.summary);
    if (y !== null && Number.isFinite(y)) e.values.push(y);
    e.runs.push(r.index);
  }
  return ps.map((p) => ({
    value: p,
    series: ss.map((s) => ({
      value: s,
      cells: xs.flatMap((x) => {
        const e = groups.get(`${keyOf(p)}|${keyOf(s)}|${keyOf(x)}`);
        const st = e ? meanCi(e.values) : null;
        return e && st ? [{ x, ...st, runs: e.runs }] : [];
      }),
    })),
  }));
}

/** "mapping" for "vms.*.mapping": the last segment of a matrix key. */
export function shortKey(key: string): string {
  return key.split('.').pop() ?? key;
}
