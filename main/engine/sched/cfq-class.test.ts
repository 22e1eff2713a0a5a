/**
 * CFQ I/O priority classes (4.19) on the scheduler bench (seek-sensitive fake device: 0.5 ms for a
 * request that starts where the previous one ended, 8 ms otherwise, plus 10 µs per sector).
 *
 * What the kernel does, and so what is expected here:
 *   - choose_wl_class_and_type serves a group's RT trees before its BE trees before its idle tree;
 *   - cfq_should_preempt: an idle-class queue never preempts, anything preempts one, BE never
 *     preempts RT, and an RT request preempts a BE slice at once;
 *   - an idle-class queue has at most one request in flight (cfq_may_dispatch), is expired after
 *     each dispatch while other queues are busy and at each completion, and never idles; it is
 *     served as soon as nothing of a higher class is busy in the group (CFQ_IDLE_DELAY only spaces
 *     the idle queues' keys in their own tree; 4.19 has no quiet-period wait).
 */
import { describe, expect, it } from 'vitest';
import { resolveTunables } from '../../common/spec/tunables';
import { MS, SEC } from '../core/time';
import { createCfq } from './cfq/index';
import { type BenchOptions, SchedBench } from './testing';
import type { IoprioClass } from './types';

function bench(classes: Record<number, IoprioClass>, opts: BenchOptions = {}): SchedBench {
  const b = new SchedBench((env) => createCfq(env, resolveTunables('cfq', {})), opts);
  for (const [id, cls] of Object.entries(classes))
    b.registry.addContext({ id: Number(id), group: 0, name: `ctx${id}`, ioprio: 4, ioprioClass: cls });
  return b;
}

const count = (b: SchedBench, ctx: number, from = 0, to = Number.POSITIVE_INFINITY) =>
  b.dispatched.filter((d) => d.rq.ctx === ctx && d.t >= from && d.t < to).length;

/** Most requests of `ctx` in flight at once. */
function maxInFlight(b: SchedBench, ctx: number): number {
  const ev: [number, number][] = [];
  for (const d of b.dispatched) if (d.rq.ctx === ctx) ev.push([d.t, 1]);
  for (const c of b.completed) if (c.rq.ctx === ctx) ev.push([c.t, -1]);
  ev.sort((a, c) => a[0] - c[0] || a[1] - c[1]);
  let n = 0;
  let max = 0;
  for (const [, d] of ev) {
    n += d;
    max = Math.max(max, n);
  }
  return max;
}

describe('cfq priority classes', () => {
  it('an RT reader preempts a BE slice at once and starves the BE reader while it has work', () => {
    const run = (cls: IoprioClass) => {
      const b = bench({ 1: 'be', 2: cls });
      b.stream(1, { start: 0, sectors: 64 });
      b.sim.at(50 * MS, () => b.stream(2, { start: 50_000_000, sectors: 64 }));
      b.run(2 * SEC);
      return b;
    };
    const rt = run('rt');
    const firstRt = rt.dispatched.find((d) => d.rq.ctx === 2)?.t ?? Number.POSITIVE_INFINITY;
    // Preempted at the arrival: only the BE request in flight finishes first.
    expect(firstRt - 50 * MS).toBeLessThan(2 * MS);
    // From then on BE gets one request when an RT slice ends with the RT queue momentarily empty
    // (~100 ms slices of ~85 sequential requests), before the next RT request preempts it again.
    const be = count(rt, 1, 100 * MS);
    const rtN = count(rt, 2, 100 * MS);
    expect(rtN).toBeGreaterThan(1000);
    expect(be).toBeLessThan(rtN / 40);
    // The same reader in the BE class waits for the running slice and then shares evenly.
    const same = run('be');
    const firstBe = same.dispatched.find((d) => d.rq.ctx === 2)?.t ?? 0;
    expect(firstBe - 50 * MS).toBeGreaterThan(40 * MS);
    const a = count(same, 1, 100 * MS);
    const c = count(same, 2, 100 * MS);
    expect(Math.min(a, c) / Math.max(a, c)).toBeGreaterThan(0.7);
  });

  it('BE requests never preempt an RT slice', () => {
    const b = bench({ 1: 'rt', 2: 'be' });
    b.stream(1, { start: 0, sectors: 64 });
    b.sim.at(10 * MS, () => b.stream(2, { start: 50_000_000, sectors: 64 }));
    b.run(90 * MS);
    // Inside the RT queue's first slice (100 ms), BE got nothing.
    expect(count(b, 1)).toBeGreaterThan(50);
    expect(count(b, 2)).toBe(0);
  });

  it('an idle-class reader is served only when nothing else is queued, one request at a time', () => {
    const b = bench({ 1: 'be', 2: 'idle' }, { queueDepth: 4 });
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    b.stream(1, { start: 0, sectors: 64 });
    b.stream(2, { start: 80_000_000, sectors: 8, depth: 8, random, span: 10_000_000 });
    let stop = false;
    b.sim.at(SEC, () => {
      stop = true;
    });
    // The BE reader stops issuing after 1 s (its in-flight request still completes).
    const prev = b.onComplete;
    b.onComplete = (rq) => {
      if (rq.ctx === 1 && stop) return;
      prev?.(rq);
    };
    b.run(2 * SEC);
    // Whenever the idle reader got the disk, the BE reader had nothing queued.
    const beDispatch = new Map<number, number>();
    for (const d of b.dispatched) if (d.rq.ctx === 1) beDispatch.set(d.rq.id, d.t);
    const beQueued = b.dispatched
      .filter((d) => d.rq.ctx === 1)
      .map((d) => ({ from: d.rq.insertedAt, to: d.t }))
      .filter((w) => w.to > w.from);
    for (const d of b.dispatched) {
      if (d.rq.ctx !== 2) continue;
      for (const w of beQueued) expect(d.t > w.from && d.t < w.to).toBe(false);
    }
    // While BE streams, the idle reader gets ~one request per BE slice; alone it gets the disk.
    const idleWhileBe = count(b, 2, 0, SEC);
    const beN = count(b, 1, 0, SEC);
    expect(beN).toBeGreaterThan(500);
    expect(idleWhileBe).toBeLessThan(20);
    expect(count(b, 2, SEC + 10 * MS, 2 * SEC)).toBeGreaterThan(80);
    // Never more than one idle-class request at the device, although it keeps 8 outstanding.
    expect(maxInFlight(b, 2)).toBe(1);
    // And no idling for it: no idle window was ever opened for ctx 2.
    expect(b.events.some((e) => e.kind === 'idleStart' && e.ctx === 2)).toBe(false);
  });

  it('an idle-class request never preempts, and is preempted by any other class', () => {
    const b = bench({ 1: 'idle', 2: 'be' });
    b.stream(1, { start: 0, sectors: 64, depth: 4 });
    b.sim.at(20 * MS, () => b.stream(2, { start: 50_000_000, sectors: 64 }));
    b.run(200 * MS);
    const firstBe = b.dispatched.find((d) => d.rq.ctx === 2)?.t ?? Number.POSITIVE_INFINITY;
    expect(firstBe - 20 * MS).toBeLessThan(2 * MS);
    // After the BE reader arrived, the idle one only gets a request when BE's slice ends.
    expect(count(b, 1, 25 * MS, 120 * MS)).toBe(0);
  });

  it('inspect reports the class and the idle class has no idle window; runs are deterministic', () => {
    const sig = () => {
      const b = bench({ 1: 'rt', 2: 'be', 3: 'idle' });
      b.stream(1, { start: 0, sectors: 64, thinkNs: 3 * MS });
      b.stream(2, { start: 30_000_000, sectors: 64 });
      b.stream(3, { start: 60_000_000, sectors: 64 });
      b.run(SEC);
      const sched = b.queue.scheduler as ReturnType<typeof createCfq>;
      expect(sched.inspect(1)?.ioprioClass).toBe('rt');
      expect(sched.inspect(3)?.ioprioClass).toBe('idle');
      expect(sched.inspect(3)?.idleWindow).toBe(false);
      return b.dispatched.map((d) => `${d.t}:${d.rq.ctx}`).join(',');
    };
    expect(sig()).toBe(sig());
  });
});
