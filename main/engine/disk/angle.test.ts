import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DISK_PRESETS } from '../../common/disk/presets';
import { Modulus, remainder } from './angle';

const same = (a: number, b: number) => Object.is(a, b);

describe('remainder', () => {
  // revolutions of every preset drive, and a few awkward divisors
  const revs = [
    ...new Set(
      Object.values(DISK_PRESETS)
        .filter((d): d is typeof d & { rpm: number } => 'rpm' in d)
        .map((d) => 60e9 / d.rpm),
    ),
    1,
    3,
    0.1,
    6e6 / 7,
    2 ** 30 + 1 / 3,
  ];

  it('is t % m for random times up to 2^53', () => {
    for (const m of revs) {
      const mod = new Modulus(m);
      fc.assert(
        fc.property(fc.double({ min: 0, max: 2 ** 53, noNaN: true }), (t) => same(remainder(t, mod), t % m)),
        { numRuns: 3000 },
      );
    }
  });

  it('is t % m next to the multiples of m (where the quotient rounds)', () => {
    for (const m of revs) {
      const mod = new Modulus(m);
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: -64, max: 64 }), (n, k) => {
          let t = n * m;
          // k steps of one ulp up or down from n·m
          for (let i = 0; i < Math.abs(k); i++) t = k > 0 ? nextUp(t) : nextDown(t);
          return t < 0 || same(remainder(t, mod), t % m);
        }),
        { numRuns: 3000 },
      );
    }
  });

  it('is t % m in integer nanoseconds over a long run', () => {
    const m = 60e9 / 10045;
    const mod = new Modulus(m);
    for (let t = 0; t < 2e13; t += 7_919_731_337) expect(remainder(t, mod)).toBe(t % m);
    for (let t = 1e13; t < 1e13 + 1e9; t += 999_983.25) expect(remainder(t, mod)).toBe(t % m);
  });

  it('falls back to % outside the fast range', () => {
    const mod = new Modulus(5);
    for (const t of [-1, -7.5, 2 ** 60, Number.POSITIVE_INFINITY, Number.NaN, -0])
      expect(same(remainder(t, mod), t % 5)).toBe(true);
  });

  it('rejects a modulus that is not positive and finite', () => {
    expect(() => new Modulus(0)).toThrow(/positive and finite/);
    expect(() => new Modulus(Number.NaN)).toThrow(/positive and finite/);
  });
});

const buf = new DataView(new ArrayBuffer(8));
function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  buf.setFloat64(0, x);
  buf.setBigUint64(0, buf.getBigUint64(0) + 1n);
  return buf.getFloat64(0);
}
function nextDown(x: number): number {
  if (x <= 0) return -Number.MIN_VALUE;
  buf.setFloat64(0, x);
  buf.setBigUint64(0, buf.getBigUint64(0) - 1n);
  return buf.getFloat64(0);
}

describe('Modulus.rem', () => {
  it('is remainder(t, mod) (and so t % m), the time and result in fields', () => {
    for (const m of [60e9 / 10025, 60e9 / 7200, 60e9 / 5400, 1, 0.1, 6e6 / 7]) {
      const mod = new Modulus(m);
      fc.assert(
        fc.property(fc.double({ noNaN: false }), (t) => {
          mod.t = t;
          mod.rem();
          return same(mod.r, remainder(t, mod)) && same(mod.r, t % m);
        }),
        { numRuns: 3000 },
      );
    }
  });
});
