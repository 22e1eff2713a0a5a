import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ActivityEvent, DispatchPoint } from '../../common/result';
import { ActivityTrace } from './activity-trace';
import { ActivityWindow } from './activity-window';
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

describe('ActivityTrace', () => {
  /** Service intervals and idle windows (paid off or not) as the collector made them as objects. */
  const event = (i: number): ActivityEvent =>
    i % 3 === 0
      ? { kind: 'service', ctx: 100 + (i % 5), t: i / 9, end: (i + 1) / 9 }
      : { kind: 'idle', ctx: 100 + (i % 4), t: i / 7, end: (i + 0.5) / 7, paid_off: i % 2 === 0 };

  it('keeps, thins and streams exactly the events Thinned keeps, as the same objects', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 3000 }), (cap, n) => {
        const a = new Thinned<ActivityEvent>(cap);
        const b = new ActivityTrace(cap);
        const drainedA: ActivityEvent[] = [];
        const drainedB: ActivityEvent[] = [];
        for (let i = 0; i < n; i++) {
          const e = event(i);
          if (a.accept()) a.add(e);
          if (b.accept()) b.add(e.kind, e.ctx, e.t, e.end, e.paid_off ?? null);
          if (i % 101 === 0) {
            drainedA.push(...a.drain());
            drainedB.push(...b.drain());
          }
        }
        drainedA.push(...a.drain());
        drainedB.push(...b.drain());
        expect(JSON.stringify(b.items)).toBe(JSON.stringify(a.items));
        expect(JSON.stringify(drainedB)).toBe(JSON.stringify(drainedA));
        expect(b.truncated).toBe(a.truncated);
      }),
      { numRuns: 150 },
    );
  });

  it('a zoomed window keeps every event that overlaps it, up to its max', () => {
    const w = new ActivityWindow(1, 2, 3);
    for (let i = 0; i < 40; i++) {
      const e = event(i);
      if (w.accept()) w.add(e.kind, e.ctx, e.t, e.end, e.paid_off ?? null);
    }
    expect(w.items).toHaveLength(3);
    expect(w.overflow).toBe(true);
    for (const e of w.items) expect(e.end >= 1 && e.t <= 2).toBe(true);
    expect(w.items.map((e) => Object.keys(e).join())).toContain('kind,ctx,t,end,paid_off');
    expect(w.drain()).toEqual([]);
  });
});
