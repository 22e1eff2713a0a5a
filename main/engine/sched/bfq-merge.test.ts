/**
 * BFQ early queue merging (bfq_setup_cooperator / bfq_merge_bfqqs / bfq_split_bfqq, Linux 5.10–5.13)
 * on the seek-sensitive SchedBench device (simpleService: 0.5 ms for a request contiguous with the
 * head, 8 ms otherwise, plus 10 µs per sector). low_latency = 0: steady-state behaviour without
 * the raising of new queues (see bfq.md).
 */
import { describe, expect, it } from 'vitest';
import type { TunableValues } from '../../common/spec/tunables';
import { MS, SEC } from '../core/time';
import { endSector } from '../io/request';
import { bfqBench, primeNoQueueing } from './bfq-testing';
import type { BenchOptions, SchedBench } from './testing';

const PIECE = 128; // 64 KiB
/** 64 KiB contiguous on simpleService: 0.5 ms + 1.28 ms → ≈ 36.8 MB/s. */
const SEQ_MBS = (PIECE * 512) / 1e6 / ((0.5 * MS + PIECE * 10_000) / SEC);

function bench(over: TunableValues = {}, opts: BenchOptions = {}) {
  const { b, bfq } = bfqBench(over, opts);
  return { b, stats: () => bfq().mergeStats(), bfq };
}

/**
 * One guest sequential stream served by a pool of `threads` contexts: piece k (64 KiB) is issued by
 * context 1 + (k mod threads) once every piece before k − window has completed (the guest consumes
 * its data in order, with `window` pieces of read-ahead), so the contexts take turns.
 */
function pooledStream(b: SchedBench, threads: number, window: number, from = 0, startSector = 0) {
  const done = new Set<number>();
  let prefix = 0; // pieces 0..prefix-1 completed
  let issued = 0;
  const pieceOf = new Map<number, number>();
  const issue = () => {
    while (issued < prefix + window) {
      const k = issued++;
      const rq = b.request(1 + (k % threads), startSector + k * PIECE, PIECE);
      pieceOf.set(rq.id, k);
      b.submit(rq);
    }
  };
  const prev = b.onComplete;
  b.onComplete = (rq) => {
    prev?.(rq);
    // A request may carry several pieces (bio merging): each unit is one piece.
    for (const u of rq.units) {
      const k = pieceOf.get(u.id);
      if (k !== undefined) done.add(k);
    }
    while (done.has(prefix)) done.delete(prefix++);
    issue();
  };
  b.sim.at(from, issue);
}

const mbs = (b: SchedBench, fromNs: number, toNs: number, ctxs?: number[]) => {
  let sectors = 0;
  for (const c of b.completed)
    if (c.t >= fromNs && c.t < toNs && (!ctxs || ctxs.includes(c.rq.ctx))) sectors += c.rq.sectors;
  return (sectors * 512) / 1e6 / ((toNs - fromNs) / SEC);
};

describe('bfq early queue merge', () => {
  it('merges a pool of contexts taking turns on one sequential stream within 100 ms', () => {
    const { b, stats } = bench();
    pooledStream(b, 4, 4);
    b.run(3 * SEC);
    const s = stats();
    expect(s.firstMergeAt).toBeGreaterThanOrEqual(0);
    expect(s.firstMergeAt).toBeLessThan(100 * MS);
    expect(s.sharing(1)).toEqual([1, 2, 3, 4]);
    expect(s.splits).toBe(0);
    // Served as one sequential reader: close to the contiguous rate of the device.
    const pooled = mbs(b, 0.5 * SEC, 3 * SEC);
    expect(pooled).toBeGreaterThan(0.9 * SEQ_MBS);

    // The same stream from a single context (no pool) for reference.
    const single = bench();
    pooledStream(single.b, 1, 4);
    single.b.run(3 * SEC);
    expect(pooled).toBeGreaterThan(0.95 * mbs(single.b, 0.5 * SEC, 3 * SEC));

    // The same pool with each context in its own cgroup (equal weights): queues of different
    // groups are never merged, so every turn change costs an idle timeout and a seek.
    const groups = bench(
      {},
      {
        groups: [1, 2, 3, 4].map((id) => ({ id, weight: 100 })),
        contexts: [1, 2, 3, 4].map((id) => ({ id, group: id })),
      },
    );
    pooledStream(groups.b, 4, 4);
    groups.b.run(3 * SEC);
    expect(groups.stats().merges).toBe(0);
    expect(pooled).toBeGreaterThan(3 * mbs(groups.b, 0.5 * SEC, 3 * SEC));
  });

  it('does not merge close cooperators on a non-rotational device with command queueing', () => {
    // bfq_setup_cooperator returns before the close-cooperator search while nonrot_with_queueing.
    // The pool's contexts are created within bfq_burst_interval of each other, so 6.1 merges them
    // anyway, at once, by stable merging (bfq_do_or_sched_stable_merge: "merge bfqq now" on such a
    // device); 5.10 has no stable merging and never merges them.
    const v510 = bench({ linux_5_10: 1 }, { rotational: false, queueDepth: 32 });
    pooledStream(v510.b, 4, 8);
    v510.b.run(2 * SEC);
    expect(v510.stats().merges).toBe(0);
    expect(v510.stats().sharing(1)).toEqual([1]);
    const v61 = bench({}, { rotational: false, queueDepth: 32 });
    pooledStream(v61.b, 4, 8);
    v61.b.run(2 * SEC);
    expect(v61.stats().firstMergeAt).toBeLessThan(10 * MS);
    expect(v61.stats().sharing(1)).toEqual([1, 2, 3, 4]);
  });

  it('merges on a non-rotational device without queueing', () => {
    // bfq_setup_cooperator merges nothing while nonrot_with_queueing, which a non-rotational device
    // is until bfq_update_hw_tag has seen it hold no more than 3 requests under load (hw_tag 0).
    const { b, stats, bfq } = bench({}, { rotational: false, queueDepth: 1 });
    primeNoQueueing(b);
    expect(bfq().hwTag()).toBe(0);
    pooledStream(b, 4, 4, b.sim.now);
    b.run(1.5 * SEC);
    expect(stats().sharing(1)).toEqual([1, 2, 3, 4]);
  });

  /**
   * A sequential reader (ctx 1, two requests outstanding, so always backlogged) and a far reader
   * (ctx 3, keeping two queues busy); ctx 2 starts at `startNs` reading just ahead of ctx 1.
   */
  function lateJoiner(startNs: number) {
    const { b, stats } = bench();
    b.stream(1, { start: 0, sectors: PIECE, depth: 2 });
    b.stream(3, { start: 50_000_000, sectors: PIECE, depth: 2 });
    b.sim.at(startNs, () => {
      let head = 0;
      for (const d of b.dispatched) if (d.rq.ctx === 1) head = Math.max(head, endSector(d.rq));
      b.stream(2, { start: head + 16 * PIECE, sectors: PIECE });
    });
    b.run(startNs + 1 * SEC);
    return stats();
  }

  it('merges a close reader that starts within bfq_merge_time_limit of the other queue first I/O', () => {
    const s = lateJoiner(30 * MS);
    // Merged at ctx 2's first request. (The two streams then interleave in the shared queue, which
    // turns seeky and is split again: kernel behaviour for two independent readers.)
    expect(s.merges).toBe(1);
    expect(s.firstMergeAt).toBe(30 * MS);
    expect(s.sharing(3)).toEqual([3]);
  });

  it('does not merge after bfq_merge_time_limit (100 ms of service of a backlogged queue)', () => {
    const s = lateJoiner(400 * MS);
    expect(s.merges).toBe(0);
    expect(s.sharing(2)).toEqual([2]);
  });

  it('leaves disjoint streams far apart alone', () => {
    const { b, stats } = bench();
    b.stream(1, { start: 0, sectors: PIECE });
    b.stream(2, { start: 20_000_000, sectors: PIECE });
    b.stream(3, { start: 40_000_000, sectors: PIECE });
    b.run(3 * SEC);
    expect(stats().merges).toBe(0);
    for (const c of [1, 2, 3]) expect(stats().sharing(c)).toEqual([c]);
    // Each still gets its share (≈ 1/3) of the sectors.
    const per = b.sectorsByCtx();
    const tot = [...per.values()].reduce((a, x) => a + x, 0);
    for (const c of [1, 2, 3]) expect((per.get(c) ?? 0) / tot).toBeGreaterThan(0.25);
  });

  it('splits a merged queue that turns seeky: each context gets its own queue back', () => {
    const { b, stats } = bench();
    pooledStream(b, 4, 4);
    // At 1 s the pool stream stops being issued; the four contexts turn into random readers.
    const ctxs = [1, 2, 3, 4];
    b.run(1 * SEC);
    expect(stats().sharing(1)).toEqual(ctxs);
    b.onComplete = null;
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (const c of ctxs) b.stream(c, { start: 0, sectors: 8, random: rnd, span: 100_000_000 });
    b.run(4 * SEC);
    const s = stats();
    expect(s.splits).toBeGreaterThan(0);
    for (const c of ctxs) expect(s.sharing(c)).toEqual([c]);
    // Seeky queues are never merged again.
    const mergesAfter = s.merges;
    b.run(6 * SEC);
    expect(stats().merges).toBe(mergesAfter);
  });
});
