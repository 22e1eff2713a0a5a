/**
 * Reported latency percentiles never exceed the recorded maximum: the HDR histogram answers a
 * bucket's highest equivalent value, which can lie above the exact max by less than one bucket.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IoUnit } from '../io/request';
import { LatencyRecorder } from './latency';

/** A completed unit of `ns` latency, all of it on the device. */
const unit = (ns: number) => ({ tSubmit: 0, tGuestOut: 0, tHostIn: 0, tHostOut: 0, tDone: ns }) as IoUnit;

describe('LatencyRecorder percentiles', () => {
  it('one 100.001 ms request: every percentile is 100.001 ms, not its bucket top (100.031)', () => {
    const r = new LatencyRecorder();
    r.record(unit(100_001_000));
    expect(r.summary()).toMatchObject({ p50: 100.001, p99: 100.001, p999: 100.001, max: 100.001 });
    const live = new LatencyRecorder(2);
    live.record(unit(100_001_000));
    expect(live.percentile(99)).toBe(100.001);
  });

  it('are ordered and at most the max, for any latencies (3 and 2 significant digits)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5e10 }), { minLength: 1, maxLength: 200 }),
        fc.constantFrom(2, 3),
        (lats, digits) => {
          const r = new LatencyRecorder(digits as 2 | 3);
          for (const ns of lats) r.record(unit(ns));
          const s = r.summary();
          expect(s.max).toBe(Math.round((Math.max(...lats) / 1e6) * 1000) / 1000);
          expect(s.p50).toBeLessThanOrEqual(s.p95);
          expect(s.p95).toBeLessThanOrEqual(s.p99);
          expect(s.p99).toBeLessThanOrEqual(s.p999 ?? s.max);
          expect(s.p999 ?? 0).toBeLessThanOrEqual(s.max);
        },
      ),
    );
  });
});
