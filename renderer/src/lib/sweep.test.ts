import { describe, expect, it } from 'vitest';
import { ALL, aggregate, defaultFilters, isSweep, meanCi, type SweepRun, sweepAxes } from './sweep';

const summary = (mbps: number) =>
  ({
    total: { mbps, iops: mbps * 10, latency_ms: { mean: 1, p50: 1, p95: 1, p99: 1, max: 1 } },
    disk: { utilization: 1, seeks: 0, mean_seek_cyl: 0, cache_hit_ratio: 0 },
    fairness: { jain_vms: null, jain_threads: 1, disk_time_share: {} },
    vms: [],
    native: [],
  }) as unknown as SweepRun['summary'];

/** mapping × threads × seed, throughput = threads × (mapping === 'vpid' ? 2 : 1) + seed noise. */
const runs: SweepRun[] = [];
for (const m of ['vm', 'vpid'])
  for (const t of [1, 2, 4])
    for (const seed of [1, 2, 3])
      runs.push({
        index: runs.length,
        params: { 'vms.*.mapping': m, threads: t, seed },
        summary: summary(t * (m === 'vpid' ? 2 : 1) + (seed - 2) * 0.1),
      });

describe('sweep aggregation', () => {
  it('mean and 95 % confidence interval (Student t)', () => {
    expect(meanCi([])).toBeNull();
    expect(meanCi([5])).toEqual({ n: 1, mean: 5, ci: 0 });
    // n = 3, sd = 1, t(2) = 4.303: ci = 4.303 / sqrt(3)
    const s = meanCi([1, 2, 3]);
    expect(s?.mean).toBe(2);
    expect(s?.ci).toBeCloseTo(4.303 / Math.sqrt(3), 6);
  });

  it('axes, seeds averaged by default, one metric against one parameter per series', () => {
    const axes = sweepAxes(runs);
    expect(axes.map((a) => [a.key, a.numeric])).toEqual([
      ['vms.*.mapping', false],
      ['threads', true],
      ['seed', true],
    ]);
    expect(isSweep(runs)).toBe(true);
    expect(isSweep(runs.slice(0, 3))).toBe(false);
    const filters = defaultFilters(axes, ['threads', 'vms.*.mapping']);
    expect(filters).toEqual({ seed: ALL });
    const [panel] = aggregate(
      runs,
      { metric: 'mbps', x: 'threads', series: 'vms.*.mapping', panel: null, filters },
      axes,
    );
    expect(panel.series.map((s) => s.value)).toEqual(['vm', 'vpid']);
    const vpid = panel.series[1].cells;
    expect(vpid.map((c) => c.x)).toEqual([1, 2, 4]);
    expect(vpid.map((c) => c.mean)).toEqual([2, 4, 8].map((v) => expect.closeTo(v, 9)));
    expect(vpid[0].n).toBe(3);
    expect(vpid[0].ci).toBeCloseTo((4.303 * 0.1) / Math.sqrt(3), 6);
    expect(vpid[2].runs).toEqual([15, 16, 17]);
  });

  it('small multiples per a third parameter, and a fixed value filters', () => {
    const axes = sweepAxes(runs);
    const panels = aggregate(
      runs,
      { metric: 'mbps', x: 'threads', series: null, panel: 'seed', filters: { 'vms.*.mapping': 'vm' } },
      axes,
    );
    expect(panels.map((p) => p.value)).toEqual([1, 2, 3]);
    expect(panels[0].series[0].cells.map((c) => [c.x, c.n, c.mean])).toEqual([
      [1, 1, expect.closeTo(0.9, 9)],
      [2, 1, expect.closeTo(1.9, 9)],
      [4, 1, expect.closeTo(3.9, 9)],
    ]);
  });
});
