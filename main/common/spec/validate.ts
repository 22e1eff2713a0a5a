/**
 * Spec validation beyond types: tunables, disk presets, regions that must lie inside images and
 * images inside the disk, `vpid-group` only under a group scheduler, matrix paths. Every error
 * names the field's path, e.g. `vms.1.threads.0.size_gb: region [36, 44) GiB ends beyond the
 * image (40 GiB)`.
 */
import type { z } from 'zod';
import { resolveDiskSpec } from '../disk/resolve';
import { MAX_MATRIX_RUNS, matrixRunCount, matrixSize, paramsAt } from './matrix';
import { humanIssues } from './messages';
import { type DiskModelSpec, type Spec, SpecSchema, type ThreadSpec } from './schema';
import { checkTunables, GROUP_SCHEDULERS } from './tunables';

export interface SpecError {
  path: string;
  message: string;
}

export type ValidationResult = { ok: true; spec: Spec } | { ok: false; errors: SpecError[] };

export type MatrixValue = string | number | boolean;
export type RunParams = Record<string, MatrixValue>;

const GIB = 1024 ** 3;

/** Errors reported at most for one spec; the rest are counted in a last entry (a huge invalid file must not print millions of lines). */
export const MAX_REPORTED_ERRORS = 50;

/** The first `max` errors, and one more entry counting the rest. */
export function capErrors(errors: SpecError[], max = MAX_REPORTED_ERRORS): SpecError[] {
  if (errors.length <= max) return errors;
  return [
    ...errors.slice(0, max),
    { path: '(spec)', message: `… and ${errors.length - max} more errors (${errors.length} in all)` },
  ];
}

/**
 * A failed parse's issues in words (messages.ts: `must be a number (revolutions per minute), got
 * "fast"`), each under its field's path; `input` is what was parsed, for the "got" value. At most
 * MAX_REPORTED_ERRORS are listed, then a count of the rest.
 */
export function formatZodIssues(error: z.ZodError, input?: unknown, prefix = ''): SpecError[] {
  if (prefix) {
    const wrapped = { [prefix]: input };
    return capErrors(humanIssues(error, wrapped, [prefix]));
  }
  return capErrors(humanIssues(error, input));
}

export function formatErrors(errors: SpecError[]): string {
  return errors.map((e) => `${e.path}: ${e.message}`).join('\n');
}

export class SpecValidationError extends Error {
  constructor(readonly errors: SpecError[]) {
    super(formatErrors(errors));
    this.name = 'SpecValidationError';
  }
}

/** Disk capacity in bytes of a resolved disk model. */
export function diskCapacityBytes(d: DiskModelSpec): number {
  if (d.kind === 'ssd') return d.capacity_gb * GIB;
  const perCyl = d.zones.reduce((s, z) => s + z.cylinders * z.sectors_per_track, 0);
  return perCyl * d.heads * d.sector_bytes;
}

/** Checks of one concrete run (no matrix). */
function checkRun(spec: Spec): SpecError[] {
  const errors: SpecError[] = [];
  const p = (s: string) => s;
  for (const msg of checkTunables(spec.host.scheduler, spec.host.params))
    errors.push({ path: p(`host.params.${msg.split(':')[0]}`), message: msg.slice(msg.indexOf(':') + 2) });
  let disk: DiskModelSpec | null = null;
  try {
    disk = resolveDiskSpec(spec.disk);
  } catch (e) {
    errors.push({ path: p('disk'), message: (e as Error).message.replace(/^disk(\.preset)?: /, '') });
  }
  if (spec.warmup_s >= spec.duration_s)
    errors.push({ path: p('warmup_s'), message: `must be shorter than duration_s (${spec.duration_s} s)` });
  const capGb = disk ? diskCapacityBytes(disk) / GIB : Number.POSITIVE_INFINITY;
  const names = new Set<string>();
  spec.vms.forEach((vm, i) => {
    const at = `vms.${i}`;
    if (names.has(vm.name)) errors.push({ path: p(`${at}.name`), message: `duplicate VM name "${vm.name}"` });
    names.add(vm.name);
    for (const msg of checkTunables(vm.guest_scheduler, vm.guest_params))
      errors.push({
        path: p(`${at}.guest_params.${msg.split(':')[0]}`),
        message: msg.slice(msg.indexOf(':') + 2),
      });
    if (vm.mapping === 'vpid-group' && !GROUP_SCHEDULERS.includes(spec.host.scheduler))
      errors.push({
        path: p(`${at}.mapping`),
        message: `vpid-group needs a host scheduler with group scheduling (${GROUP_SCHEDULERS.join(' or ')}), not ${spec.host.scheduler}`,
      });
    const img = imageOf(spec, i, capGb);
    if (img.offset_gb + img.size_gb > capGb + 1e-9)
      errors.push({
        path: p(`${at}.image`),
        message: `image [${img.offset_gb}, ${img.offset_gb + img.size_gb}) GiB ends beyond the disk (${capGb.toFixed(2)} GiB)`,
      });
    vm.threads.forEach((th, j) => {
      errors.push(...checkRegion(th, img.size_gb, p(`${at}.threads.${j}`), 'image'));
    });
  });
  spec.native.forEach((th, j) => {
    if (Number.isFinite(capGb)) errors.push(...checkRegion(th, capGb, p(`native.${j}`), 'disk'));
  });
  const threadNames = new Set<string>();
  spec.native.forEach((th, j) => {
    if (threadNames.has(th.name))
      errors.push({ path: p(`native.${j}.name`), message: `duplicate native thread name "${th.name}"` });
    threadNames.add(th.name);
  });
  return errors;
}

function checkRegion(th: ThreadSpec, spaceGb: number, at: string, what: string): SpecError[] {
  const errors: SpecError[] = [];
  if (th.stop_s !== undefined && th.stop_s <= th.start_s)
    errors.push({ path: `${at}.stop_s`, message: `must be later than start_s (${th.start_s})` });
  if (th.trace) {
    // A trace brings its own addresses, sizes and arrivals (out-of-range requests are counted at run time).
    if (th.count !== 1)
      errors.push({
        path: `${at}.count`,
        message: 'must be 1 for a trace (use trace.split_by "pid" for one thread per process)',
      });
    if (th.arrival)
      errors.push({ path: `${at}.arrival`, message: 'not used with a trace: its records give the arrivals' });
    return errors;
  }
  if (th.offset_gb >= spaceGb)
    errors.push({
      path: `${at}.offset_gb`,
      message: `${th.offset_gb} GiB is beyond the ${what} (${spaceGb.toFixed(2)} GiB)`,
    });
  else {
    const size = th.size_gb ?? spaceGb - th.offset_gb;
    const end = th.offset_gb + size * th.count;
    if (end > spaceGb + 1e-9)
      errors.push({
        path: `${at}.${th.size_gb === undefined ? 'count' : 'size_gb'}`,
        message: `region of ${th.count} × ${size} GiB from ${th.offset_gb} GiB ends at ${end} GiB, beyond the ${what} (${spaceGb.toFixed(2)} GiB)`,
      });
  }
  if ((th.block_kb * 1024) % 512 !== 0)
    errors.push({ path: `${at}.block_kb`, message: 'must be a multiple of 0.5 (512-byte sectors)' });
  return errors;
}

/** A VM's image: given, or by default an equal share of the disk in VM order. */
export function imageOf(spec: Spec, vmIndex: number, capGb: number): { offset_gb: number; size_gb: number } {
  const vm = spec.vms[vmIndex];
  if (vm.image) return vm.image;
  const share = capGb / Math.max(1, spec.vms.length);
  return { offset_gb: share * vmIndex, size_gb: share };
}

/** Path segments that would walk into an object's prototype; never followed anywhere a path comes from input. */
export const FORBIDDEN_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', 'prototype', 'constructor']);

/** The first forbidden segment of a dot path, or null. */
export function forbiddenSegment(path: string): string | null {
  return path.split('.').find((s) => FORBIDDEN_SEGMENTS.has(s)) ?? null;
}

/**
 * Set `value` at a dot path; `*` addresses every element of an array. Returns false if the path does
 * not exist: only own properties are followed, and `__proto__`, `prototype` and `constructor` never.
 */
export function setPath(obj: unknown, path: string, value: unknown): boolean {
  const parts = path.split('.');
  if (forbiddenSegment(path) !== null) return false;
  const walk = (node: unknown, i: number): boolean => {
    if (node === null || typeof node !== 'object') return false;
    const key = parts[i];
    const last = i === parts.length - 1;
    if (Array.isArray(node)) {
      const idxs = key === '*' ? node.map((_, k) => k) : /^\d+$/.test(key) ? [Number(key)] : [];
      if (idxs.length === 0 || idxs.some((k) => k >= node.length)) return key === '*' && node.length === 0;
      if (last) {
        for (const k of idxs) node[k] = value;
        return true;
      }
      return idxs.every((k) => walk(node[k], i + 1));
    }
    const rec = node as Record<string, unknown>;
    if (last) {
      Object.defineProperty(rec, key, { value, enumerable: true, writable: true, configurable: true });
      return true;
    }
    if (!Object.hasOwn(rec, key)) return false;
    return walk(rec[key], i + 1);
  };
  return walk(obj, 0);
}

/** Run `index` of a spec's matrix: its params and its concrete spec (matrix.ts: last key fastest). */
export function runAt(spec: Spec, index: number): { params: RunParams; spec: Spec } {
  const params = paramsAt(spec, index);
  const copy = structuredClone(spec) as Spec & { matrix?: unknown };
  delete copy.matrix;
  for (const [k, v] of Object.entries(params)) setPath(copy, k, v);
  return { params, spec: SpecSchema.parse(copy) };
}

/** Expand a spec's matrix into its runs (cartesian product, in the order the keys and values are listed). */
export function expandMatrix(spec: Spec): { params: RunParams; spec: Spec }[] {
  return Array.from({ length: matrixSize(spec) }, (_, i) => runAt(spec, i));
}

/** The interactive cap on a matrix's runs (`pvblk run`, the app); `pvblk sweep` passes its own `--max-runs`. */
export { MAX_MATRIX_RUNS };

export interface ValidateOptions {
  /** Most runs the matrix may expand to (default MAX_MATRIX_RUNS). */
  maxRuns?: number;
}

/** Parse and check a spec (and every run of its matrix). */
export function validateSpec(input: unknown, opts: ValidateOptions = {}): ValidationResult {
  const parsed = SpecSchema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: formatZodIssues(parsed.error, input) };
  const r = validateParsed(parsed.data, opts.maxRuns ?? MAX_MATRIX_RUNS);
  return r.ok ? r : { ok: false, errors: capErrors(r.errors) };
}

function validateParsed(spec: Spec, maxRuns: number): ValidationResult {
  const errors: SpecError[] = [];
  if (spec.matrix) {
    // Count before anything is copied or expanded: a matrix of 10^8 runs must cost nothing to refuse.
    const count = matrixRunCount(spec.matrix);
    if (count > maxRuns)
      return {
        ok: false,
        errors: [{ path: 'matrix', message: `${count} runs; at most ${maxRuns}` }],
      };
    for (const [k, values] of Object.entries(spec.matrix)) {
      const bad = forbiddenSegment(k);
      if (bad !== null) {
        errors.push({ path: `matrix.${k}`, message: `"${bad}" is not a field of the spec` });
        continue;
      }
      for (const v of values) {
        const copy = structuredClone(spec) as Spec & { matrix?: unknown };
        delete copy.matrix;
        if (!setPath(copy, k, v)) {
          errors.push({ path: `matrix.${k}`, message: `no such field in the spec` });
          break;
        }
        const r = SpecSchema.safeParse(copy);
        if (!r.success) {
          for (const e of formatZodIssues(r.error, copy))
            errors.push({
              path: `matrix.${k}`,
              message: `value ${JSON.stringify(v)}: ${e.path}: ${e.message}`,
            });
        }
      }
    }
    if (errors.length) return { ok: false, errors };
    const size = matrixSize(spec);
    const seen = new Set<string>();
    for (let i = 0; i < size; i++) {
      const run = runAt(spec, i);
      const label = Object.entries(run.params)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ');
      for (const e of checkRun(run.spec)) {
        const key = e.path + e.message;
        if (seen.has(key)) continue;
        seen.add(key);
        errors.push(label ? { path: e.path, message: `${e.message} (in the run with ${label})` } : e);
      }
    }
  } else errors.push(...checkRun(spec));
  return errors.length ? { ok: false, errors } : { ok: true, spec };
}

/** Validate or throw a SpecValidationError. */
export function parseSpec(input: unknown): Spec {
  const r = validateSpec(input);
  if (!r.ok) throw new SpecValidationError(r.errors);
  return r.spec;
}
