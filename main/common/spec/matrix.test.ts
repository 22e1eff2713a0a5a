import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matrixSize, paramsAt } from './matrix';
import { expandMatrix, type RunParams, validateSpec } from './validate';

/** The cartesian product as the original eager expansion built it (first key outermost). */
function product(matrix: Record<string, (string | number | boolean)[]>): RunParams[] {
  let combos: RunParams[] = [{}];
  for (const [k, values] of Object.entries(matrix)) {
    const next: RunParams[] = [];
    for (const c of combos) for (const v of values) next.push({ ...c, [k]: v });
    combos = next;
  }
  return combos;
}

const matrixArb = fc.dictionary(
  fc.stringMatching(/^[a-z]{1,6}(\.[a-z*]{1,4}){0,2}$/),
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 4 }), fc.boolean()), { minLength: 1, maxLength: 5 }),
  { minKeys: 0, maxKeys: 4 },
);

describe('matrix runs from their index', () => {
  it('run i is the i-th element of the cartesian product (last key fastest), keys in spec order', () => {
    fc.assert(
      fc.property(matrixArb, (matrix) => {
        const all = product(matrix);
        expect(matrixSize({ matrix })).toBe(all.length);
        all.forEach((p, i) => {
          const got = paramsAt({ matrix }, i);
          expect(got).toEqual(p);
          expect(Object.keys(got)).toEqual(Object.keys(p));
        });
      }),
    );
  });

  it('an index outside the matrix is refused', () => {
    expect(() => paramsAt({ matrix: { a: [1, 2] } }, 2)).toThrow(/outside the matrix's 2 runs/);
    expect(() => paramsAt({ matrix: { a: [1, 2] } }, -1)).toThrow(RangeError);
    expect(() => paramsAt({}, 0.5)).toThrow(RangeError);
    expect(paramsAt({}, 0)).toEqual({});
  });

  const big = {
    name: 'big',
    duration_s: 0.05,
    vms: [{ name: 'a', threads: [{ name: 'r', size_gb: 0.01 }] }],
    matrix: {
      seed: Array.from({ length: 200 }, (_, i) => i + 1),
      'vms.0.threads.0.iodepth': [1, 2, 4, 8, 16, 32, 64, 128],
    },
  };

  it('the interactive cap stays 1000 runs; a sweep raises it explicitly', () => {
    const capped = validateSpec(big);
    expect(capped.ok).toBe(false);
    if (!capped.ok) expect(capped.errors).toEqual([{ path: 'matrix', message: '1600 runs; at most 1000' }]);
    expect(validateSpec(big, { maxRuns: 1599 }).ok).toBe(false);
    expect(validateSpec(big, { maxRuns: 1600 }).ok).toBe(true);
  });

  it('expandMatrix lists the runs in the product order with their concrete specs', () => {
    const v = validateSpec({ ...big, matrix: { seed: [3, 4], 'vms.0.threads.0.iodepth': [1, 2, 4] } });
    if (!v.ok) throw new Error('spec');
    const runs = expandMatrix(v.spec);
    expect(runs.map((r) => r.params)).toEqual(product(v.spec.matrix ?? {}));
    expect(runs.map((r) => [r.spec.seed, r.spec.vms[0].threads[0].iodepth])).toEqual([
      [3, 1],
      [3, 2],
      [3, 4],
      [4, 1],
      [4, 2],
      [4, 4],
    ]);
  });
});
