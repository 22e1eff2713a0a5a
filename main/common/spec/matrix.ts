/**
 * A matrix run from its index, without building the product: the runs of `matrix` are the
 * cartesian product of its value lists in the order the keys and values are listed, the LAST key
 * varying fastest (index i is a mixed-radix number whose digits, last key least significant, pick
 * each key's value). `expandMatrix` lists exactly these runs; sweeps of 10^5 runs use this to
 * compute only the runs they execute.
 */
import type { Spec } from './schema';
import type { RunParams } from './validate';

/** Runs in one matrix, at most (a hard limit, not lifted by `--allow-large`). */
export const MAX_MATRIX_RUNS = 1000;

/** Runs in a spec's matrix: the product of its value counts, without building it (Infinity past 2^53). */
export function matrixRunCount(matrix: Spec['matrix'] | undefined): number {
  let n = 1;
  for (const values of Object.values(matrix ?? {})) {
    n *= Array.isArray(values) ? values.length : 1;
    if (!Number.isSafeInteger(n)) return Number.POSITIVE_INFINITY;
  }
  return n;
}

/** Number of runs of `spec`'s matrix (1 without a matrix). */
export function matrixSize(spec: Pick<Spec, 'matrix'>): number {
  let n = 1;
  for (const values of Object.values(spec.matrix ?? {})) n *= values.length;
  return n;
}

/** The matrix values of run `index` (0 ≤ index < matrixSize), keys as written in the spec. */
export function paramsAt(spec: Pick<Spec, 'matrix'>, index: number): RunParams {
  const size = matrixSize(spec);
  if (!Number.isInteger(index) || index < 0 || index >= size)
    throw new RangeError(`run index ${index} is outside the matrix's ${size} runs`);
  const entries = Object.entries(spec.matrix ?? {});
  const picks = new Array<number>(entries.length);
  let rest = index;
  for (let k = entries.length - 1; k >= 0; k--) {
    const n = entries[k][1].length;
    picks[k] = rest % n;
    rest = Math.floor(rest / n);
  }
  const params: RunParams = {};
  entries.forEach(([key, values], k) => {
    params[key] = values[picks[k]];
  });
  return params;
}

/**
 * Is a list of runs' params a sweep worth its own view (and a summaries-first import): more than
 * 12 runs, or at least two parameters that vary. The paper presets (one parameter, three runs) are not.
 */
export function isSweepParams(params: readonly RunParams[]): boolean {
  if (params.length > 12) return true;
  const seen = new Map<string, Set<string>>();
  for (const p of params)
    for (const [k, v] of Object.entries(p)) {
      const s = seen.get(k) ?? new Set<string>();
      seen.set(k, s.add(JSON.stringify(v)));
    }
  return params.length > 1 && [...seen.values()].filter((s) => s.size > 1).length >= 2;
}
