import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DispatchPoint } from '../../common/result';
import { DispatchTrace } from './dispatch-trace';
import { Thinned } from './thinned';

const point = (i: number): DispatchPoint => ({
  t: i / 7,
  sector: 8 * i,
  sectors: 8 + (i % 5),
  vm: (i % 3) - 1,
  thread: i % 4,
  ctx: 100 + (i % 6),
  write: i % 2 === 1,
});

/** The thinning rule written plainly: keep every stride-th point; at `cap` points drop every other one, double the stride. */
function reference(cap: number, n: number): DispatchPoint[] {
  let items: DispatchPoint[] = [];
  let stride = 1;
  let seen = 0;
  for (let i = 0; i < n && cap > 0; i++) {
    if (seen++ % stride !== 0) continue;
    items.push(point(i));
    if (items.length >= cap) {
      items = items.filter((_, k) => k % 2 === 0);
      stride *= 2;
    }
  }
  return items;
}

describe('DispatchTrace', () => {
  it('keeps, thins and streams exactly the points Thinned keeps', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 2000 }),
        fc.boolean(),
        (cap, n, stopAt) => {
          const a = new Thinned<DispatchPoint>(cap);
          const b = new DispatchTrace(cap);
          const drainedA: DispatchPoint[] = [];
          const drainedB: DispatchPoint[] = [];
          for (let i = 0; i < n; i++) {
            if (stopAt && i === n >> 1) {
              a.stopStreaming();
              b.stopStreaming();
            }
            const p = point(i);
            if (a.accept()) a.add(p);
            if (b.accept()) b.add(p.t, p.sector, p.sectors, p.vm, p.thread, p.ctx, p.write);
            if (i % 97 === 0) {
              drainedA.push(...a.drain());
              drainedB.push(...b.drain());
            }
          }
          drainedA.push(...a.drain());
          drainedB.push(...b.drain());
          expect(JSON.stringify(b.items)).toBe(JSON.stringify(a.items));
          expect(JSON.stringify(a.items)).toBe(JSON.stringify(reference(cap, n)));
          expect(JSON.stringify(drainedB)).toBe(JSON.stringify(drainedA));
          expect(b.truncated).toBe(a.truncated);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('holds a long run in a bounded buffer (no object per kept point)', () => {
    const t = new DispatchTrace(1000);
    t.stopStreaming();
    for (let i = 0; i < 200_000; i++) if (t.accept()) t.add(i, i, 8, -1, 0, 1, false);
    expect(t.items.length).toBeLessThan(1000);
    expect(t.items[0].t).toBe(0);
    expect(t.truncated).toBe(true);
  });
});
