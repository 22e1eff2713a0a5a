import { describe, expect, it } from 'vitest';
import { SegmentCache } from './cache';

describe('segment cache', () => {
  it('replace(a, b) picks and leaves the same segments as invalidate(a, b) then allocate()', () => {
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (const segs of [1, 2, 3, 10, 16]) {
      const x = new SegmentCache(segs, 64);
      const y = new SegmentCache(segs, 64);
      for (let step = 0; step < 2000; step++) {
        const a = rnd(1000);
        const b = a + 1 + rnd(80);
        if (rnd(4) === 0) {
          const i = rnd(segs);
          x.touch(i);
          y.touch(i);
          continue;
        }
        x.invalidate(a, b);
        const sx = x.allocate();
        const sy = y.replace(a, b);
        expect(sy).toBe(sx);
        for (const c of [x, y]) {
          c.start[sx] = Math.max(b - 64, a);
          c.end[sx] = b;
        }
        expect([...y.start]).toEqual([...x.start]);
        expect([...y.end]).toEqual([...x.end]);
        expect(y.find(a, b)).toBe(x.find(a, b));
      }
    }
  });
});
