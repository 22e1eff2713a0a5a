/**
 * BFQ I/O priority classes (5.10–5.13) on the seek-sensitive SchedBench device (0.5 ms for a
 * contiguous request, 8 ms otherwise, plus 10 µs per sector; queue depth 1, rotational).
 *
 * What the kernel does, and so what is expected here:
 *   - bfq_lookup_next_entity serves the RT tree before the BE tree before the IDLE tree, except
 *     that the IDLE tree gets the pick when its turn has not come up for BFQ_CL_IDLE_TIMEOUT
 *     (200 ms); the pick is made when a new queue is chosen, so an idle-class queue starved by a
 *     backlogged BE queue is served about every 200 ms plus the rest of the BE queue's budget;
 *   - bfq_dispatch_rq_from_bfqq expires an idle-class queue after each request while other queues
 *     are busy (one request per turn), and bfq_better_to_idle never idles for one;
 *   - bfq_bfqq_higher_class_or_weight: a newly busy RT queue preempts a BE queue in service.
 */
import { describe, expect, it } from 'vitest';
import { resolveTunables } from '../../common/spec/tunables';
import { MS, SEC } from '../core/time';
import { createBfq } from './bfq/index';
import { SchedBench } from './testing';
import type { IoprioClass } from './types';

/**
 * low_latency is off where shares are measured: weight raising (×30 for a queue that looks
 * interactive, budget timeouts stretched alike) would otherwise dominate the first seconds.
 */
function bench(
  classes: Record<number, IoprioClass>,
  levels: Record<number, number> = {},
  lowLatency = 0,
): SchedBench {
  const b = new SchedBench((env) => createBfq(env, resolveTunables('bfq', { low_latency: lowLatency })));
  for (const [id, cls] of Object.entries(classes)) {
    const n = Number(id);
    b.registry.addContext({ id: n, group: 0, name: `ctx${id}`, ioprio: levels[n] ?? 4, ioprioClass: cls });
  }
  return b;
}

const lcg = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};

const count = (b: SchedBench, ctx: number, from = 0, to = Number.POSITIVE_INFINITY) =>
  b.dispatched.filter((d) => d.rq.ctx === ctx && d.t >= from && d.t < to).length;

/** Two random readers keeping 8 requests each outstanding (both always backlogged). */
function backlogged(b: SchedBench, secondAt = 0) {
  b.stream(1, { start: 0, sectors: 8, depth: 8, random: lcg(1), span: 20_000_000 });
  b.sim.at(secondAt, () =>
    b.stream(2, { start: 40_000_000, sectors: 8, depth: 8, random: lcg(2), span: 20_000_000 }),
  );
}

describe('bfq priority classes', () => {
  it('the RT tree is served strictly before the BE tree; a new RT queue preempts BE at once', () => {
    const b = bench({ 1: 'be', 2: 'rt' });
    backlogged(b, 100 * MS);
    b.run(3 * SEC);
    const firstRt = b.dispatched.find((d) => d.rq.ctx === 2)?.t ?? Number.POSITIVE_INFINITY;
    // Only the BE request at the device finishes first (≤ ~8.1 ms).
    expect(firstRt - 100 * MS).toBeLessThan(10 * MS);
    expect(count(b, 1, 0, 100 * MS)).toBeGreaterThan(5);
    expect(count(b, 2)).toBeGreaterThan(250);
    expect(count(b, 1, firstRt + 10 * MS)).toBe(0);
    // Both best-effort (equal weights): they share.
    const same = bench({ 1: 'be', 2: 'be' });
    backlogged(same, 100 * MS);
    same.run(3 * SEC);
    const a = count(same, 1, 200 * MS);
    const c = count(same, 2, 200 * MS);
    expect(Math.min(a, c) / Math.max(a, c)).toBeGreaterThan(0.7);
  });

  it('within a class the level sets the weight: RT level 0 (80) vs RT level 4 (40) ≈ 2:1', () => {
    const b = bench({ 1: 'rt', 2: 'rt' }, { 1: 0, 2: 4 });
    backlogged(b);
    b.run(4 * SEC);
    const ratio = count(b, 1, 500 * MS) / count(b, 2, 500 * MS);
    expect(ratio).toBeGreaterThan(1.5);
    expect(ratio).toBeLessThan(2.6);
  });

  it('a starving IDLE queue gets one request about every 200 ms (BFQ_CL_IDLE_TIMEOUT)', () => {
    const b = bench({ 1: 'be', 2: 'idle' });
    backlogged(b);
    b.run(4 * SEC);
    const idle = b.dispatched.filter((d) => d.rq.ctx === 2 && d.t > 0).map((d) => d.t);
    // Each turn comes after ≥ 200 ms and within 200 ms + one BE budget slot (timeout_sync 125 ms).
    expect(idle.length).toBeGreaterThanOrEqual(4000 / 340);
    expect(idle.length).toBeLessThanOrEqual(4000 / 200 + 1);
    for (let i = 1; i < idle.length; i++) {
      expect(idle[i] - idle[i - 1]).toBeGreaterThanOrEqual(200 * MS);
      expect(idle[i] - idle[i - 1]).toBeLessThan(340 * MS);
    }
    // One request per turn: the dispatch after an idle-class one is BE's.
    for (let i = 0; i + 1 < b.dispatched.length; i++)
      if (b.dispatched[i].rq.ctx === 2 && b.dispatched[i].t > 0) expect(b.dispatched[i + 1].rq.ctx).toBe(1);
  });

  it('an idle-class queue never idles, and alone it gets the disk', () => {
    // low_latency on: the idle class (weight 10, not the default 40) is never raised either.
    const run = (cls: IoprioClass) => {
      const b = bench({ 1: cls }, {}, 1);
      b.stream(1, { start: 0, sectors: 64, thinkNs: 2 * MS });
      b.run(SEC);
      return b;
    };
    const idle = run('idle');
    expect(idle.events.some((e) => e.kind === 'idleStart')).toBe(false);
    expect(count(idle, 1)).toBeGreaterThan(300);
    // The same reader as best-effort idles for its next request (bfq_better_to_idle).
    expect(run('be').events.some((e) => e.kind === 'idleStart')).toBe(true);
  });

  it('is deterministic', () => {
    const sig = () => {
      const b = bench({ 1: 'be', 2: 'idle', 3: 'rt' });
      backlogged(b);
      b.stream(3, { start: 80_000_000, sectors: 64, thinkNs: 20 * MS });
      b.run(2 * SEC);
      return b.dispatched.map((d) => `${d.t}:${d.rq.ctx}`).join(',');
    };
    expect(sig()).toBe(sig());
  });
});
