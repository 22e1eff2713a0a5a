import { describe, expect, it } from 'vitest';
import { DISKSIM_BOUNDS_US, DiskSimDistribution, rmsHorizontalDistance } from './disksim-dist';

const dist = (values: number[]) => {
  const d = new DiskSimDistribution();
  for (const v of values) d.add(v);
  return d;
};

describe('DiskSim response-time distributions (valid/statdefs, disksim_stat.c)', () => {
  it('bucket bounds start at 0 µs, step 1 µs and grow by 1 % (Start 0 step 1 grow 1, 1750 buckets)', () => {
    expect(DISKSIM_BOUNDS_US).toHaveLength(1750);
    expect(DISKSIM_BOUNDS_US.slice(0, 3)).toEqual([0, 1, 2]);
    expect(DISKSIM_BOUNDS_US.slice(99, 104)).toEqual([99, 100, 102, 104, 106]);
    for (let i = 1; i < DISKSIM_BOUNDS_US.length; i++) {
      const prev = DISKSIM_BOUNDS_US[i - 1];
      expect(DISKSIM_BOUNDS_US[i]).toBe(prev + 1 + Math.trunc(prev / 100));
    }
  });

  it('counts a value in the first bucket whose bound exceeds its truncated µs; the curve stops at 1', () => {
    const d = dist([0.0005, 0.001, 0.0019, 5]);
    expect(d.counts[1]).toBe(1); // 0 µs
    expect(d.counts[2]).toBe(2); // 1 µs (0.0019 ms truncates to 1)
    const c = d.curve();
    expect(c.y[0]).toBe(0);
    expect(c.y[1]).toBe(0.25);
    expect(c.y[2]).toBe(0.75);
    expect(c.y.at(-1)).toBe(1);
    expect(c.x.at(-1)).toBeGreaterThan(5);
    expect(c.x.at(-2)).toBeLessThanOrEqual(5);
    expect(d.meanMs).toBeCloseTo((0.0005 + 0.001 + 0.0019 + 5) / 4, 12);
  });

  it('RMS horizontal distance: 0 for the same sample, the shift for a shifted one (rms.c compute_rms)', () => {
    const base = Array.from({ length: 5000 }, (_, i) => 2 + ((i * 7919) % 10_000) / 1000);
    const a = dist(base).curve();
    expect(rmsHorizontalDistance(a, dist(base).curve())).toBe(0);
    const shifted = dist(base.map((v) => v + 1.5)).curve();
    expect(rmsHorizontalDistance(a, shifted)).toBeGreaterThan(1.4);
    expect(rmsHorizontalDistance(a, shifted)).toBeLessThan(1.6);
    expect(rmsHorizontalDistance(shifted, a)).toBeCloseTo(rmsHorizontalDistance(a, shifted), 12);
  });
});
