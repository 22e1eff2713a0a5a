import fc from 'fast-check';
import { build } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { LogHistogram } from './histogram';

const hdr = (digits: number) =>
  build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 1_000_000,
    numberOfSignificantValueDigits: digits as 2 | 3,
    useWebAssembly: false,
  });

const PERCENTILES = [0, 1, 25, 50, 90, 95, 99, 99.9, 100];

// Values near powers of two (bucket edges) as well as anywhere up to about two days in µs.
const value = fc.oneof(
  fc.integer({ min: 1, max: 5_000 }),
  fc.integer({ min: 1, max: 2 ** 38 }),
  fc
    .tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: -2, max: 2 }))
    .map(([k, d]) => Math.max(1, 2 ** k + d)),
);

describe('LogHistogram (HdrHistogram layout)', () => {
  it('reports the same percentiles as hdr-histogram-js for any values (2 and 3 digits)', () => {
    fc.assert(
      fc.property(fc.constantFrom(2, 3), fc.array(value, { minLength: 1, maxLength: 300 }), (digits, xs) => {
        const ref = hdr(digits);
        const mine = new LogHistogram(digits);
        for (const x of xs) {
          ref.recordValue(x);
          mine.record(x);
        }
        for (const p of PERCENTILES) expect(mine.valueAtPercentile(p)).toBe(ref.getValueAtPercentile(p));
      }),
      { numRuns: 300 },
    );
  });

  it('merges and resets like recording into one histogram', () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 100 }), fc.array(value, { maxLength: 100 }), (a, b) => {
        const ref = hdr(2);
        const x = new LogHistogram(2);
        const y = new LogHistogram(2);
        for (const v of [7, 70_000]) x.record(v);
        x.reset();
        for (const v of a) {
          ref.recordValue(v);
          x.record(v);
        }
        for (const v of b) {
          ref.recordValue(v);
          y.record(v);
        }
        const m = new LogHistogram(2);
        m.add(x);
        m.add(y);
        expect(m.total).toBe(a.length + b.length);
        for (const p of PERCENTILES) expect(m.valueAtPercentile(p)).toBe(ref.getValueAtPercentile(p));
      }),
      { numRuns: 200 },
    );
  });

  it('answers percentiles between records, below and above the small-list size', () => {
    fc.assert(
      fc.property(fc.array(fc.array(value, { maxLength: 30 }), { maxLength: 6 }), (batches) => {
        const ref = hdr(2);
        const mine = new LogHistogram(2);
        for (const batch of batches) {
          for (const v of batch) {
            ref.recordValue(v);
            mine.record(v);
          }
          for (const p of PERCENTILES) expect(mine.valueAtPercentile(p)).toBe(ref.getValueAtPercentile(p));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('is 0 when empty', () => {
    expect(new LogHistogram(3).valueAtPercentile(50)).toBe(0);
  });
});
