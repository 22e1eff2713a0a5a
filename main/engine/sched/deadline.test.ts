import { describe, expect, it } from 'vitest';
import { resolveTunables, type TunableValues } from '../../common/spec/tunables';
import { MS, SEC } from '../core/time';
import type { Op } from '../io/request';
import { createDeadline } from './deadline';
import { SchedBench } from './testing';

const bench = (params: TunableValues = {}, depth = 1) =>
  new SchedBench((env) => createDeadline(env, resolveTunables('deadline', params)), { queueDepth: depth });

/** Deterministic LCG in [0, 1). */
const lcg = (seed: number) => {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
};

/**
 * Closed loop of `depth` outstanding requests, ascending with a gap between them (stride > sectors),
 * so they never merge and every new one lies above all queued ones.
 */
function strided(
  b: SchedBench,
  ctx: number,
  o: { start: number; stride: number; sectors: number; depth: number; op: Op },
) {
  let next = o.start;
  const issue = () => {
    b.submit(b.request(ctx, next, o.sectors, o.op));
    next += o.stride;
  };
  const prev = b.onComplete;
  b.onComplete = (rq) => {
    prev?.(rq);
    if (rq.ctx === ctx) for (let i = 0; i < rq.units.length; i++) issue();
  };
  b.sim.at(b.sim.now, () => {
    for (let i = 0; i < o.depth; i++) issue();
  });
}

/** Lengths of the runs of consecutive dispatches with the same key. */
function runs<T>(xs: T[]): { key: T; len: number }[] {
  const out: { key: T; len: number }[] = [];
  for (const x of xs) {
    const last = out[out.length - 1];
    if (last && last.key === x) last.len++;
    else out.push({ key: x, len: 1 });
  }
  return out;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

describe('deadline', () => {
  it('serves a read within one write batch under a write flood, far below read_expire', () => {
    const b = bench();
    // A writer keeping 64 random async writes queued (random positions: the sort list is not
    // one long sweep, so batches also end early when no higher write remains).
    b.stream(1, { start: 0, span: 4_000_000, sectors: 8, depth: 64, op: 'write', random: lcg(7) });
    const readAt = 200 * MS;
    b.sim.at(readAt, () => b.submit(b.request(2, 9_000_000, 8, 'read')));
    b.run(1 * SEC);
    const rd = b.dispatched.findIndex((d) => d.rq.ctx === 2);
    expect(rd).toBeGreaterThan(0);
    // Writes dispatched after the read arrived and before it: at most the rest of the current write
    // batch (fifo_batch = 16), since at the next batch boundary reads win (starved 0 < writes_starved).
    const writesBetween = b.dispatched.slice(0, rd).filter((d) => d.t >= readAt).length;
    expect(writesBetween).toBeLessThanOrEqual(16);
    // Each write costs ~8 ms on the bench (random → seek), so ≤ 16 writes ≈ 130 ms ≪ read_expire 500 ms.
    const done = b.completed.find((c) => c.rq.ctx === 2)!;
    expect(done.t - readAt).toBeLessThan(16 * 8.2 * MS + 10 * MS);
  });

  it('gives reads two batches for every write batch when both directions are flooded', () => {
    const b = bench();
    // Ascending strided floods: every batch is a full fifo_batch = 16 sweep.
    strided(b, 1, { start: 0, stride: 16, sectors: 8, depth: 32, op: 'read' });
    strided(b, 2, { start: 50_000_000, stride: 16, sectors: 8, depth: 32, op: 'write' });
    b.run(3 * SEC);
    const ops = b.dispatched.map((d) => d.rq.op);
    const r = runs(ops).slice(1, -1); // drop the partial first/last runs
    const readRuns = r.filter((x) => x.key === 'read').map((x) => x.len);
    const writeRuns = r.filter((x) => x.key === 'write').map((x) => x.len);
    // Two read batches (2 × 16) between write batches of 16 (writes_starved = 2).
    expect(median(readRuns)).toBe(32);
    expect(median(writeRuns)).toBe(16);
    // Over whole read/write cycles (partial first and last runs dropped) reads get twice the requests.
    const sum = (xs: number[]) => xs.reduce((a, x) => a + x, 0);
    const ratio = sum(readRuns) / sum(writeRuns);
    expect(ratio).toBeGreaterThan(1.9);
    expect(ratio).toBeLessThan(2.1);
  });

  it('writes_starved = 1 alternates one read batch and one write batch', () => {
    const b = bench({ writes_starved: 1 });
    strided(b, 1, { start: 0, stride: 16, sectors: 8, depth: 32, op: 'read' });
    strided(b, 2, { start: 50_000_000, stride: 16, sectors: 8, depth: 32, op: 'write' });
    b.run(2 * SEC);
    const r = runs(b.dispatched.map((d) => d.rq.op)).slice(1, -1);
    expect(median(r.filter((x) => x.key === 'read').map((x) => x.len))).toBe(16);
    expect(median(r.filter((x) => x.key === 'write').map((x) => x.len))).toBe(16);
  });

  it('two synchronous sequential readers ping-pong the head: no idling, seek-bound throughput', () => {
    const b = bench();
    b.stream(1, { start: 0, sectors: 8 });
    b.stream(2, { start: 5_000_000, sectors: 8 });
    b.run(2 * SEC);
    const ctxs = b.dispatched.map((d) => d.rq.ctx);
    let switches = 0;
    for (let i = 1; i < ctxs.length; i++) if (ctxs[i] !== ctxs[i - 1]) switches++;
    // Deceptive idleness: when one reader's request completes, only the other's is queued.
    expect(switches / (ctxs.length - 1)).toBeGreaterThan(0.95);
    // Every request seeks: 8 ms + 8 × 10 µs on the bench ⇒ ~124 requests/s in total.
    const perSec = b.completed.length / 2;
    expect(perSec).toBeGreaterThan(110);
    expect(perSec).toBeLessThan(130);
    expect(b.events.filter((e) => e.kind === 'idleStart')).toHaveLength(0);
  });

  it('front merges when enabled, not when disabled; back merges always', () => {
    for (const fm of [1, 0]) {
      const b = bench({ front_merges: fm });
      b.sim.at(0, () => {
        b.submit(b.request(1, 0, 8)); // dispatched at once, the device is free
        b.submit(b.request(1, 1000, 8));
        b.submit(b.request(2, 1008, 8)); // back merge into 1000
        b.submit(b.request(3, 992, 8)); // front merge into 1000 (only with front_merges)
      });
      b.run(100 * MS);
      if (fm) {
        expect(b.completed).toHaveLength(2);
        expect(b.completed[1].rq.sector).toBe(992);
        expect(b.completed[1].rq.sectors).toBe(24);
        expect(b.completed[1].rq.units.map((u) => u.pid)).toEqual([3, 1, 2]);
      } else {
        expect(b.completed).toHaveLength(3);
        expect(b.completed.map((c) => c.rq.sectors).sort()).toEqual([16, 8, 8].sort());
      }
    }
  });

  it('a request bridging two queued ones merges all three (request-to-request merge)', () => {
    const b = bench();
    b.sim.at(0, () => {
      b.submit(b.request(1, 0, 8));
      b.submit(b.request(1, 1000, 8));
      b.submit(b.request(2, 1016, 8));
      b.submit(b.request(3, 1008, 8)); // back merge into 1000, which then touches 1016
    });
    b.run(100 * MS);
    expect(b.completed).toHaveLength(2);
    expect(b.completed[1].rq.sector).toBe(1000);
    expect(b.completed[1].rq.sectors).toBe(24);
  });

  it('serves an expired FIFO head at the next batch boundary, not before', () => {
    const b = bench({ read_expire_ms: 100 });
    // A reader sweeping upwards with 4 outstanding requests: a successor is always queued, so
    // batches continue the sweep; its own requests wait ~4 × 8 ms, well below read_expire.
    strided(b, 1, { start: 1_000_000, stride: 16, sectors: 8, depth: 4, op: 'read' });
    // A lone read far below the sweep, queued at 5 ms: deadline 105 ms.
    b.sim.at(5 * MS, () => b.submit(b.request(2, 100, 8)));
    b.run(1 * SEC);
    const i = b.dispatched.findIndex((d) => d.rq.ctx === 2);
    // Dispatch #0 is a batch of its own (nothing else queued yet, no successor); the next batch
    // (#1..#16, from the FIFO head = the reader's oldest) sweeps upwards past the low read; at the
    // boundary after #16 (~137 ms at ~8 ms per seek) the low read is the expired FIFO head.
    expect(i).toBe(17);
    expect(b.dispatched[i].t).toBeGreaterThanOrEqual(105 * MS);
    // It had to wait: it was queued while the 16 reads of the previous batch were dispatched.
    expect(b.dispatched.filter((d) => d.t > 5 * MS && d.t < b.dispatched[i].t)).toHaveLength(16);
    // After it, the new batch sweeps upwards from the expired request: back to the reader.
    expect(b.dispatched[i + 1].rq.ctx).toBe(1);
  });

  it('reports per-context queue lengths', () => {
    const b = bench();
    b.sim.at(0, () => {
      b.submit(b.request(1, 0, 8));
      b.submit(b.request(1, 5000, 8));
      b.submit(b.request(2, 9000, 8));
      b.submit(b.request(2, 19000, 8, 'write'));
    });
    b.run(1);
    expect(b.queue.scheduler.queued()).toBe(3);
    expect(Object.fromEntries(b.queue.scheduler.queueLengths())).toEqual({ 1: 1, 2: 2 });
  });
});
