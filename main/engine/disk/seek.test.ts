import { describe, expect, it } from 'vitest';
import published from '../../common/disk/data/published-disks.json' with { type: 'json' };
import type { HddSpec } from '../../common/spec/schema';
import { characterizeDisk, DISK_PRESETS, resolveDiskSpec, seekTimeMs } from './index';
import { BUILT_IN_DISTANCE_SUMS, fitThreePoint, makeSeekFn, sumDistances } from './seek';

const hdd = (name: string) => DISK_PRESETS[name].spec as HddSpec;

describe('seek models', () => {
  it('hp97560 follows Ruemmler & Wilkes: 3.24 + 0.400·√d below 383, 8.00 + 0.008·d from 383', () => {
    const spec = hdd('hp97560');
    expect(seekTimeMs(spec, 0)).toBe(0);
    for (const d of [1, 2, 10, 100, 382])
      expect(seekTimeMs(spec, d)).toBeCloseTo(3.24 + 0.4 * Math.sqrt(d), 10);
    for (const d of [383, 500, 1000, 1961]) expect(seekTimeMs(spec, d)).toBeCloseTo(8.0 + 0.008 * d, 10);
  });

  it('three-point fit hits track-to-track, full stroke and the random-seek mean (sata-7200)', () => {
    const spec = hdd('sata-7200');
    const C = spec.zones.reduce((s, z) => s + z.cylinders, 0);
    const f = (d: number) => seekTimeMs(spec, d);
    expect(f(0)).toBe(0);
    expect(f(1)).toBeCloseTo(0.8, 9);
    expect(f(C - 1)).toBeCloseTo(16.0, 9);
    // Mean over uniformly random start/end cylinders: triangular weighting P(d) = 2(C−d)/C², P(0) = 1/C (seek 0).
    let mean = 0;
    for (let d = 1; d < C; d++) mean += (f(d) * 2 * (C - d)) / (C * C);
    expect(mean).toBeCloseTo(8.5, 6);
    // A sane curve: increasing in d.
    let prev = 0;
    for (let d = 1; d < C; d += 97) {
      expect(f(d)).toBeGreaterThanOrEqual(prev);
      prev = f(d);
    }
  });

  it('three-point fit mean equals the exact double sum over all start/end pairs (small disk)', () => {
    const C = 150;
    const { a, b, c } = fitThreePoint(1, 5, 9, C);
    const f = (d: number) => (d === 0 ? 0 : a + b * Math.sqrt(d - 1) + c * (d - 1));
    let sum = 0;
    for (let i = 0; i < C; i++) for (let j = 0; j < C; j++) sum += f(Math.abs(i - j));
    expect(sum / (C * C)).toBeCloseTo(5, 9);
    expect(f(1)).toBeCloseTo(1, 12);
    expect(f(C - 1)).toBeCloseTo(9, 9);
  });

  it('table model interpolates linearly between published points, 0 at distance 0', () => {
    const pts: [number, number][] = [
      [1, 1],
      [10, 2],
      [100, 5],
    ];
    const f = makeSeekFn({ model: 'table', points: pts }, 200);
    expect(f(0)).toBe(0);
    expect(f(1)).toBe(1);
    expect(f(5.5)).toBeCloseTo(1.5, 12);
    expect(f(55)).toBeCloseTo(3.5, 12);
    expect(f(150)).toBe(5);
    // Cheetah 9LP: listed points exact, midpoints interpolated.
    const spec = hdd('cheetah-9lp');
    const curve = (
      published.disks as { disksim_model_name?: string; seek: { curve_ms?: number[][] } }[]
    ).find((d) => d.disksim_model_name === 'SEAGATE_ST39102LW_validate')!.seek.curve_ms!;
    for (let i = 0; i + 1 < curve.length; i += 7) {
      const [x0, y0] = curve[i];
      const [x1, y1] = curve[i + 1];
      expect(seekTimeMs(spec, x0)).toBeCloseTo(y0, 12);
      const xm = (x0 + x1) / 2;
      expect(seekTimeMs(spec, xm)).toBeCloseTo(y0 + ((y1 - y0) * (xm - x0)) / (x1 - x0), 12);
    }
  });

  it('characterization: curve points 1..10 then log-spaced to full stroke; means match published derivations', () => {
    const c = characterizeDisk(hdd('sata-7200'));
    expect(c.seek_curve.slice(0, 10).map((p) => p[0])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(c.seek_curve[c.seek_curve.length - 1][0]).toBe(c.cylinders! - 1);
    expect(c.seek_avg_ms).toBeCloseTo(8.5, 6);
    expect(c.capacity_bytes).toBe(4 * 15000 * (2000 + 1860 + 1720 + 1580 + 1440 + 1300 + 1160 + 1020) * 512);
    expect(c.zones[0].media_mbps).toBeCloseTo((2000 * 512 * 7200) / 60 / 1e6, 9);
    // Zone skews computed from head switch when absent: ceil(0.8 ms / (rev/spt)).
    expect(c.zones[0].track_skew_sectors).toBe(Math.ceil(0.8 / (60000 / 7200 / 2000) - 1e-9));
    const pubs = published.disks as {
      disksim_model_name?: string;
      derived: {
        mean_seek_ms_uniform_random_cylinder?: number;
        mean_seek_ms_uniform_random_cylinder_incl_zero?: number;
      };
    }[];
    const ref = (m: string) =>
      pubs.find((d) => d.disksim_model_name === m)!.derived.mean_seek_ms_uniform_random_cylinder!;
    expect(characterizeDisk(hdd('cheetah-9lp')).seek_avg_ms).toBeCloseTo(
      ref('SEAGATE_ST39102LW_validate'),
      2,
    );
    expect(characterizeDisk(hdd('atlas-10k')).seek_avg_ms).toBeCloseTo(ref('QUANTUM_TORNADO_validate'), 2);
    expect(characterizeDisk(hdd('hp97560')).seek_avg_ms).toBeCloseTo(
      pubs[0].derived.mean_seek_ms_uniform_random_cylinder_incl_zero!,
      3,
    );
  });

  it('resolveDiskSpec expands presets, fills defaults and rejects unknown names', () => {
    expect(resolveDiskSpec({ preset: 'sata-7200' })).toEqual(DISK_PRESETS['sata-7200'].spec);
    expect(() => resolveDiskSpec({ preset: 'nope' })).toThrow(
      /disk\.preset: unknown preset "nope" \(known: sata-7200, /,
    );
    const r = resolveDiskSpec({
      kind: 'hdd',
      rpm: 5400,
      heads: 2,
      zones: [{ cylinders: 100, sectors_per_track: 50 }],
      seek: { model: 'table', points: [[1, 1]] },
      head_switch_ms: 1,
    } as never);
    expect(r.kind === 'hdd' && r.sector_bytes === 512 && r.cache === null && r.queue_depth === 1).toBe(true);
    for (const name of [
      'sata-7200',
      'hp97560',
      'cheetah-9lp',
      'hp-c3323a',
      'atlas-10k',
      'ultrastar-18es',
      'ssd-sata',
    ])
      expect(DISK_PRESETS[name]).toBeDefined();
  });
});

describe('three-point distance sums', () => {
  it('the built-in table holds, bit for bit, what the sum computes', () => {
    for (const [cylinders, sums] of BUILT_IN_DISTANCE_SUMS) {
      const fresh = sumDistances(cylinders);
      for (const k of ['s0', 's1', 's2'] as const) expect(Object.is(sums[k], fresh[k])).toBe(true);
    }
  });

  it("covers every built-in three-point drive's cylinder count", () => {
    for (const { spec } of Object.values(DISK_PRESETS)) {
      if (spec.kind !== 'hdd' || spec.seek.model !== 'three-point') continue;
      expect(BUILT_IN_DISTANCE_SUMS.has(spec.zones.reduce((n, z) => n + z.cylinders, 0))).toBe(true);
    }
  });

  it('gives the fit of the sums, for each input, as a fresh object', () => {
    const f1 = fitThreePoint(0.8, 8.5, 16, 120000);
    const f2 = fitThreePoint(0.8, 8.5, 16, 120000);
    expect(f2).toEqual(f1);
    expect(f2).not.toBe(f1);
    // an uncommon count (computed, then remembered) fits the same whichever way it is reached
    expect(fitThreePoint(1, 5, 9, 1001)).toEqual(fitThreePoint(1, 5, 9, 1001));
    expect(Object.is(fitThreePoint(-0, 5, 9, 1000).a, -0)).toBe(true);
    expect(Object.is(fitThreePoint(0, 5, 9, 1000).a, 0)).toBe(true);
    expect(fitThreePoint(1, 5, 9, 1001)).not.toEqual(fitThreePoint(1, 5, 9, 1000));
  });
});
