import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fitToDisk, usedSpanGb } from './fit';

const fairness = () => ({
  name: 'paper-fairness',
  disk: { preset: 'hp97560' },
  vms: [
    { name: 'A', image: { offset_gb: 0, size_gb: 40 }, threads: [{ name: 'r', offset_gb: 0, size_gb: 4 }] },
    {
      name: 'B',
      image: { offset_gb: 100, size_gb: 40 },
      threads: [{ name: 'r', offset_gb: 10, size_gb: 4 }],
    },
  ],
});

describe('fit images and regions to a disk', () => {
  it('scales every image and region by capacity ÷ span, keeping the proportions', () => {
    const f = fitToDisk(fairness(), 1.28);
    expect(f).not.toBeNull();
    if (!f) return;
    expect(f.spanGb).toBe(140);
    expect(f.factor).toBeCloseTo(1.28 / 140, 12);
    const vms = f.spec.vms as {
      image: { offset_gb: number; size_gb: number };
      threads: { offset_gb: number; size_gb: number }[];
    }[];
    expect(vms[1].image.offset_gb).toBe(0.914);
    expect(vms[0].image.size_gb).toBe(0.365);
    expect(vms[1].threads[0].offset_gb).toBe(0.091);
    expect(usedSpanGb(f.spec)).toBeLessThanOrEqual(1.28);
  });

  it('leaves a spec that fits alone', () => {
    expect(fitToDisk(fairness(), 346)).toBeNull();
  });

  it('any layout ends inside the disk after the fit, and the order of images is kept', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            off: fc.double({ min: 0, max: 500, noNaN: true }),
            size: fc.double({ min: 0.01, max: 200, noNaN: true }),
          }),
          {
            minLength: 1,
            maxLength: 5,
          },
        ),
        fc.double({ min: 0.05, max: 50, noNaN: true }),
        (imgs, cap) => {
          const spec = {
            vms: imgs.map((i) => ({ image: { offset_gb: i.off, size_gb: i.size }, threads: [] })),
          };
          const f = fitToDisk(spec, cap);
          const after = f ? f.spec : spec;
          expect(usedSpanGb(after)).toBeLessThanOrEqual(
            Math.max(cap, usedSpanGb(spec) <= cap ? cap : 0) + 1e-9,
          );
          const offs = (after.vms as { image: { offset_gb: number } }[]).map((v) => v.image.offset_gb);
          for (let a = 0; a < imgs.length; a++)
            for (let b = 0; b < imgs.length; b++)
              if (imgs[a].off < imgs[b].off) expect(offs[a]).toBeLessThanOrEqual(offs[b]);
        },
      ),
    );
  });
});
