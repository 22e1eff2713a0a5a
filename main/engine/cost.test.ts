/**
 * The cost estimator: an upper bound of the work (requests) a run does, cheap to compute (the
 * matrix is counted, not built), every built-in experiment far inside the limits, and the huge
 * specs of the hardening probe (7 days, 1 ms samples, 10^5 threads, a Poisson flood) over them.
 */
import { describe, expect, it } from 'vitest';
import type { SpecInput } from '../common/spec/schema';
import { expandMatrix, parseSpec } from '../common/spec/validate';
import { runExperiment } from '../node/runner';
import {
  costOverLimits,
  DEFAULT_COST_LIMITS,
  estimateRunCost,
  estimateSpecCost,
  formatCost,
  matrixRunCount,
} from './cost';
import { EXPERIMENT_PRESETS, presetSpec } from './presets/index';

const costOf = (input: SpecInput) => {
  const spec = parseSpec(input);
  return estimateSpecCost(
    spec,
    expandMatrix(spec).map((r) => r.spec),
  );
};

describe('estimateSpecCost', () => {
  it.each(Object.keys(EXPERIMENT_PRESETS))('the preset %s is far inside every limit', (name) => {
    const c = costOf(presetSpec(name));
    expect(costOverLimits(c)).toEqual([]);
    expect(c.total.requests).toBeLessThan(DEFAULT_COST_LIMITS.maxRequests / 100);
    expect(c.total.memoryBytes).toBeLessThan(DEFAULT_COST_LIMITS.maxMemoryBytes / 4);
  });

  it('is an upper bound of the requests a run completes (closed loop and Poisson)', async () => {
    for (const input of [
      presetSpec('native-random-fifo'),
      {
        name: 'poisson',
        duration_s: 2,
        host: { scheduler: 'noop' as const },
        native: [
          {
            name: 'p',
            arrival: { type: 'poisson' as const, rate_iops: 80 },
            pattern: 'random' as const,
            block_kb: 4,
          },
        ],
      },
      {
        name: 'seq',
        duration_s: 1,
        vms: [{ name: 'a', threads: [{ name: 's', block_kb: 64, iodepth: 4 }] }],
      },
    ]) {
      const spec = parseSpec(input);
      const est = estimateRunCost(spec);
      const res = await runExperiment(spec, { jobs: 1 });
      const done = res.runs[0].summary.total.iops * (spec.duration_s - spec.warmup_s);
      expect(done).toBeGreaterThan(0);
      expect(est.requests).toBeGreaterThanOrEqual(done);
    }
  }, 60_000);

  it("puts the probe's huge specs over the limits, with the figures that make them so", () => {
    const week = costOf({
      name: 'week',
      duration_s: 86_400 * 7,
      sample_interval_ms: 1,
      disk: { preset: 'ssd-sata' },
      native: [{ name: 'r', count: 4, size_gb: 1, pattern: 'random', block_kb: 4, iodepth: 32 }],
    });
    expect(week.perRun.samples).toBe(604_800_000);
    expect(costOverLimits(week).join(' ')).toMatch(/requests.*memory/);
    const threads = costOf({
      name: 'threads',
      duration_s: 10,
      vms: Array.from({ length: 100 }, (_, i) => ({
        name: `vm${i}`,
        threads: [{ name: 't', count: 1000, size_gb: 0.001 }],
      })),
    });
    expect(threads.perRun.threads).toBe(100_000);
    expect(costOverLimits(threads).join(' ')).toMatch(/memory/);
    const flood = costOf({
      name: 'flood',
      duration_s: 3600,
      host: { scheduler: 'noop' },
      native: [
        { name: 'p', arrival: { type: 'poisson', rate_iops: 1_000_000 }, pattern: 'random', block_kb: 4 },
      ],
    });
    expect(flood.perRun.backlog).toBeGreaterThan(1e9);
    expect(costOverLimits(flood).length).toBe(2);
  });

  it('sums a matrix over its runs, and scales the base spec when the runs are not given', () => {
    const spec = parseSpec({ ...presetSpec('native-random-fifo'), matrix: { duration_s: [10, 20, 40] } });
    const runs = expandMatrix(spec).map((r) => r.spec);
    const each = runs.map((r) => estimateRunCost(r).requests);
    expect(estimateSpecCost(spec, runs).total.requests).toBe(each[0] + each[1] + each[2]);
    expect(estimateSpecCost(spec).runs).toBe(3);
    expect(estimateSpecCost(spec).total.requests).toBe(3 * estimateRunCost(spec).requests);
    expect(formatCost(estimateSpecCost(spec, runs))).toMatch(
      /^3 runs, ~.* requests, .* samples × .* series per run, .* trace points, ~.* of memory$/,
    );
  });
});

describe('matrixRunCount', () => {
  it('multiplies the value counts without building the product', () => {
    expect(matrixRunCount(undefined)).toBe(1);
    expect(matrixRunCount({ a: [1, 2], b: [1, 2, 3] })).toBe(6);
    const eight = Object.fromEntries(
      Array.from({ length: 8 }, (_, i) => [`k${i}`, Array.from({ length: 10 }, (_, j) => j)]),
    );
    expect(matrixRunCount(eight)).toBe(1e8);
    const huge = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [`k${i}`, Array.from({ length: 10 }, (_, j) => j)]),
    );
    expect(matrixRunCount(huge)).toBe(Number.POSITIVE_INFINITY);
  });
});
