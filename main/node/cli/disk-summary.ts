/**
 * `pvblk disk` without --json: the disk's characterization as a readable summary. Generic over the
 * characterization object (main/engine/disk/characterize.ts), so fields added there show up here:
 * scalars as `name  value` lines, nested objects (cache, overheads…) as indented groups, lists of
 * objects (zones) as tables, lists of [x, y] pairs (the seek curve) as a table of a few points.
 */
import { fmt, table } from './table';

/** Seek-curve points shown; --json has all of them. */
const CURVE_POINTS = 12;

/** Unit suffixes of the characterization's field names (its capacities are binary: 1024³). */
const UNITS: Record<string, string> = {
  gb: 'GiB',
  ms: 'ms',
  us: 'µs',
  mbps: 'MB/s',
  bytes: 'bytes',
  sectors: 'sectors',
  kb: 'KiB',
  mb: 'MiB',
};

/** `track_to_track_ms` → `track to track (ms)`. */
function label(key: string): string {
  const words = key.split('_');
  const unit = words.length > 1 ? UNITS[words[words.length - 1]] : undefined;
  return unit ? `${words.slice(0, -1).join(' ')} (${unit})` : words.join(' ');
}

function value(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return v.toLocaleString('en-US');
    return fmt(v, Math.abs(v) >= 100 ? 1 : Math.abs(v) >= 1 ? 3 : 4);
  }
  if (Array.isArray(v)) return v.map(value).join(', ');
  return String(v);
}

const isPairList = (v: unknown): v is [number, number][] =>
  Array.isArray(v) && v.length > 0 && v.every((p) => Array.isArray(p) && p.length === 2);
const isObjectList = (v: unknown): v is Record<string, unknown>[] =>
  Array.isArray(v) &&
  v.length > 0 &&
  v.every((o) => o !== null && typeof o === 'object' && !Array.isArray(o));
const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** Every k-th point of a curve, always with the first and last. */
function samplePoints(points: [number, number][], n: number): [number, number][] {
  if (points.length <= n) return points;
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) out.push(points[Math.round((i * (points.length - 1)) / (n - 1))]);
  return out;
}

/** Column names of a [x, y] list, from its key (`seek_curve` → distance (cylinders), time (ms)). */
function pairHeader(key: string): [string, string] {
  if (/seek/.test(key)) return ['distance (cylinders)', 'seek (ms)'];
  return ['x', 'y'];
}

function section(key: string, v: unknown, indent: string): string[] {
  if (isPairList(v)) {
    const pts = samplePoints(v, CURVE_POINTS);
    const note = pts.length < v.length ? ` (${pts.length} of ${v.length} points; --json for all)` : '';
    const body = table(
      pairHeader(key),
      pts.map(([x, y]) => [value(x), value(y)]),
    );
    return ['', `${indent}${label(key)}${note}:`, ...body.split('\n').map((l) => `${indent}  ${l}`)];
  }
  if (isObjectList(v)) {
    const cols = [...new Set(v.flatMap((o) => Object.keys(o)))];
    const body = table(
      ['#', ...cols.map(label)],
      v.map((o, i) => [String(i), ...cols.map((c) => value(o[c]))]),
    );
    return ['', `${indent}${label(key)} (${v.length}):`, ...body.split('\n').map((l) => `${indent}  ${l}`)];
  }
  if (isObject(v)) return ['', `${indent}${label(key)}:`, ...lines(v, `${indent}  `)];
  if (Array.isArray(v) && v.length === 0) return [];
  return [];
}

function lines(obj: Record<string, unknown>, indent = ''): string[] {
  const scalars = Object.entries(obj).filter(
    ([, v]) => !isObject(v) && !isObjectList(v) && !isPairList(v) && !(Array.isArray(v) && v.length === 0),
  );
  const width = Math.max(0, ...scalars.map(([k]) => label(k).length));
  const out = scalars.map(([k, v]) => `${indent}${label(k).padEnd(width)}  ${value(v)}`);
  for (const [k, v] of Object.entries(obj)) out.push(...section(k, v, indent));
  return out;
}

export function diskSummary(c: object): string {
  return `${lines(c as Record<string, unknown>).join('\n')}\n`;
}
