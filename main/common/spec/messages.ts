/**
 * Validation messages a researcher reads: `must be a number (revolutions per minute), got "fast"`
 * instead of zod's `Invalid input: expected number, received string`. The same words reach the
 * UI (beside the field) and the CLI (`disk.rpm: must be …`), each under the field's path.
 */
import type { z } from 'zod';

export interface FieldMessage {
  path: string;
  message: string;
}

/** What a field's number means, from its name (the spec's unit suffixes and a few known names). */
const UNIT_BY_SUFFIX: [RegExp, string][] = [
  [/(^|_)rpm$/, 'revolutions per minute'],
  [/_ms$/, 'milliseconds'],
  [/_us$/, 'microseconds'],
  [/_s$/, 'seconds'],
  [/_gb$/, 'GiB'],
  [/_kb$/, 'KiB'],
  [/_mbps$/, 'MB/s'],
  [/_iops$/, 'I/O per second'],
  [/_bytes$/, 'bytes'],
  [/_cyl$/, 'cylinders'],
  [/^iodepth$/, 'requests in flight'],
  [/^count$/, 'threads'],
  [/^weight$/, 'proportional share'],
  [/^heads$/, 'surfaces'],
  [/^cylinders$/, 'cylinders'],
  [/^sectors_per_track$/, 'sectors'],
  [/^seed$/, 'random seed'],
];

function unitOf(path: PropertyKey[]): string {
  const last = [...path].reverse().find((k) => typeof k === 'string');
  if (typeof last !== 'string') return '';
  return UNIT_BY_SUFFIX.find(([re]) => re.test(last))?.[1] ?? '';
}

/** The unit written after a bound (`at least 0.5 KiB`); counts and weights have none. */
const SHORT_UNITS: Record<string, string> = {
  milliseconds: 'ms',
  microseconds: 'µs',
  seconds: 's',
  GiB: 'GiB',
  KiB: 'KiB',
  'MB/s': 'MB/s',
  'I/O per second': 'IOPS',
  bytes: 'bytes',
  'revolutions per minute': 'rpm',
};
const shortUnit = (u: string): string => SHORT_UNITS[u] ?? '';

function at(input: unknown, path: PropertyKey[]): { found: boolean; value: unknown } {
  let v: unknown = input;
  for (const k of path) {
    if (v === null || typeof v !== 'object' || !(k in (v as object)))
      return { found: false, value: undefined };
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return { found: true, value: v };
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  if (s === undefined) return String(v);
  return s.length > 40 ? `${s.slice(0, 37)}…` : s;
}

const KIND: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'text (a string)',
  boolean: 'true or false',
  object: 'an object { … }',
  array: 'a list [ … ]',
};

type Issue = z.core.$ZodIssue;

/** One zod issue in words; a union reports the branch the value came closest to. */
function explain(issue: Issue, input: unknown, base: PropertyKey[]): FieldMessage[] {
  const path = [...base, ...issue.path];
  const where = path.map(String).join('.') || '(root)';
  const unit = unitOf(path);
  const got = at(input, path);
  const gotText = got.found ? `, got ${show(got.value)}` : '';
  const withUnit = (what: string) => (unit ? `${what} (${unit})` : what);
  switch (issue.code) {
    case 'invalid_type': {
      if (!got.found || got.value === undefined) {
        const kind = KIND[issue.expected] ?? issue.expected;
        return [{ path: where, message: `is missing: it must be ${withUnit(kind)}` }];
      }
      const kind = KIND[issue.expected] ?? issue.expected;
      return [{ path: where, message: `must be ${withUnit(kind)}${gotText}` }];
    }
    case 'too_small':
    case 'too_big': {
      const small = issue.code === 'too_small';
      const bound = Number(small ? issue.minimum : issue.maximum);
      const u = shortUnit(unit);
      if (issue.origin === 'array')
        return [
          {
            path: where,
            message: `needs ${small ? 'at least' : 'at most'} ${bound} entr${bound === 1 ? 'y' : 'ies'}`,
          },
        ];
      if (issue.origin === 'string')
        return [
          {
            path: where,
            message: `must be ${small ? 'at least' : 'at most'} ${bound} characters long${gotText}`,
          },
        ];
      const rel = small
        ? issue.inclusive === false
          ? 'greater than'
          : 'at least'
        : issue.inclusive === false
          ? 'less than'
          : 'at most';
      return [{ path: where, message: `must be ${rel} ${bound}${u ? ` ${u}` : ''}${gotText}` }];
    }
    case 'invalid_value':
      return [
        {
          path: where,
          message: `must be ${issue.values.length === 1 ? show(issue.values[0]) : `one of ${issue.values.map((v) => show(v)).join(', ')}`}${gotText}`,
        },
      ];
    case 'unrecognized_keys':
      return issue.keys.map((k) => ({
        path: [...path, k].map(String).join('.'),
        message: `is not a field ${path.length ? `of ${where}` : 'of the spec'} (misspelt, or not a field in this version)`,
      }));
    case 'invalid_union': {
      const branches = issue.errors;
      if (branches.length === 0) return [{ path: where, message: `is not valid${gotText}` }];
      // The branch the value was meant for: one that knows the fields given and accepts their
      // literals (kind: "hdd"), then the one with the fewest issues.
      const given = (i: Issue) => at(input, [...path, ...i.path]).found;
      const misfit = (i: Issue) => i.code === 'unrecognized_keys' || (i.code === 'invalid_value' && given(i));
      const score = (b: Issue[]) => b.length + 100 * b.filter(misfit).length;
      const best = [...branches].sort((a, b) => score(a) - score(b))[0];
      return best.flatMap((i) => explain(i, input, path));
    }
    case 'invalid_format':
      return [
        {
          path: where,
          message: `must be ${issue.format === 'regex' ? 'in the expected format' : `a valid ${issue.format}`}${gotText}`,
        },
      ];
    case 'not_multiple_of':
      return [{ path: where, message: `must be a multiple of ${String(issue.divisor)}${gotText}` }];
    default:
      return [{ path: where, message: `${issue.message}${gotText}` }];
  }
}

/** Every issue of a failed parse of `input`, in words, each under its field's path (after `prefix`). */
export function humanIssues(error: z.ZodError, input: unknown, prefix: PropertyKey[] = []): FieldMessage[] {
  return error.issues.flatMap((i) => explain(i as Issue, input, prefix));
}
