/**
 * BFQ's waker inheritance on queue merges and splits, Linux 6.1 (block/bfq-iosched.c; commit
 * 8ef3fc3a043c "block, bfq: make shared queues inherit wakers", 5.12): bfq_merge_bfqqs gives the
 * shared queue new_bfqq the waker of the merged queue bfqq when it has none and the waker is not
 * new_bfqq itself, and puts new_bfqq on the waker's woken_list; bfq_init_rq gives a queue created
 * by a split the waker of the shared queue. 5.10 (`linux_5_10`) has neither.
 */
import { describe, expect, it } from 'vitest';
import { resolveTunables } from '../../common/spec/tunables';
import { bicOf, createBfq, getQueue, newBfqData } from './bfq/iosched';
import { mergeQueues } from './bfq/merge';
import type { BfqData, Queue } from './bfq/types';
import { SchedBench } from './testing';

/** A BfqData on a bench's environment, and sync queues for contexts 1..3 (waker: ctx 1). */
function setup(linux510: 0 | 1) {
  const tunables = resolveTunables('bfq', { low_latency: 0, linux_5_10: linux510 });
  let bfqd: BfqData | null = null;
  const b = new SchedBench((env) => {
    // the bench runs nothing here: the test drives a second BfqData on the same environment
    bfqd = newBfqData(env, tunables);
    return createBfq(env, tunables);
  });
  const d = bfqd as unknown as BfqData;
  const queueOf = (ctx: number, sector = ctx * 1e6) => getQueue(d, b.request(ctx, sector, 8));
  const [w, q, n] = [1, 2, 3].map((ctx) => queueOf(ctx));
  // bfq_check_waker confirmed ctx 1 as the waker of ctx 2's queue
  q.waker = w;
  q.hasWaker = true;
  w.woken.add(q);
  return { d, w, q, n, queueOf };
}

const merge = (d: BfqData, q: Queue, n: Queue) => {
  n.procRefs += q.procRefs; // bfq_setup_merge took the references
  mergeQueues(d, bicOf(d, q.ctx, 0)!, q, n);
};

describe('bfq (6.1) waker inheritance on merges', () => {
  it('bfq_merge_bfqqs: the shared queue inherits the merged queue’s waker and joins its woken_list', () => {
    const { d, w, q, n } = setup(0);
    n.tentativeWaker = q; // a detection in progress is dropped
    merge(d, q, n);
    expect(n.waker).toBe(w);
    expect(n.hasWaker).toBe(true);
    expect(n.tentativeWaker).toBeNull();
    expect(w.woken.has(n)).toBe(true);
    expect(bicOf(d, 2, 0)!.queue).toBe(n);
  });

  it('keeps a waker the shared queue already has, and never makes a queue its own waker', () => {
    const a = setup(0);
    const other = a.queueOf(4);
    a.n.waker = other;
    a.n.hasWaker = true;
    merge(a.d, a.q, a.n);
    expect(a.n.waker).toBe(other);

    // q's waker is the queue it merges into: n gets no waker
    const b = setup(0);
    b.q.waker = b.n;
    b.n.woken.add(b.q);
    merge(b.d, b.q, b.n);
    expect(b.n.waker).toBeNull();
  });

  it('5.10 (linux_5_10 = 1): no inheritance', () => {
    const { d, q, n } = setup(1);
    merge(d, q, n);
    expect(n.waker).toBeNull();
  });

  it('bfq_init_rq: a queue created by a split keeps the shared queue’s waker', () => {
    const { d, w, q, n, queueOf } = setup(0);
    merge(d, q, n);
    // the shared queue turned seeky (bfq_bfqq_split_coop): ctx 2's next request splits it off
    n.splitCoop = true;
    const fresh = queueOf(2, 7e6);
    expect(fresh).not.toBe(n);
    expect(fresh.waker).toBe(w);
    expect(w.woken.has(fresh)).toBe(true);
  });
});
