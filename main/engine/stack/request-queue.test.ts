/**
 * When the block layer runs a queue. Single-queue (4.19 legacy) schedulers are run after every
 * completion (scsi_end_request → scsi_next_command → scsi_run_queue). blk-mq schedulers are run as
 * block/blk-mq-sched.c (blk_mq_sched_dispatch_requests, __blk_mq_do_dispatch_sched) and
 * drivers/scsi/scsi_lib.c (scsi_mq_get_budget, scsi_run_queue_async) of Linux 6.1 run them.
 */
import { describe, expect, it } from 'vitest';
import { Simulator } from '../core/sim';
import { MS } from '../core/time';
import type { BlockRequest } from '../io/request';
import { NO_TRACE, type SchedulerEnv } from '../sched/types';
import { BLK_MQ_BUDGET_DELAY, ContextRegistry, RequestQueue } from './request-queue';

const rq = (id: number): BlockRequest => ({
  id,
  op: 'read',
  sync: true,
  sector: id * 8,
  sectors: 8,
  ctx: 1,
  group: 0,
  insertedAt: 0,
  units: [],
});

/**
 * A FIFO scheduler that records when dispatch() is called and can be told to hold its requests
 * (as BFQ does while it idles for the in-service queue).
 */
function bench(blkMq: boolean, queueDepth: number, serviceNs = 10 * MS) {
  const sim = new Simulator();
  const fifo: BlockRequest[] = [];
  const calls: number[] = [];
  let hold = false;
  let inflight = 0;
  let env: SchedulerEnv | null = null;
  const queue: RequestQueue = new RequestQueue({
    sim,
    device: {
      queueDepth,
      inFlight: () => inflight,
      submit: (r) => {
        inflight++;
        sim.after(serviceNs, () => {
          inflight--;
          queue.complete(r);
        });
      },
    },
    rotational: true,
    registry: new ContextRegistry(),
    trace: NO_TRACE,
    makeScheduler: (e) => {
      env = e;
      return {
        name: 'scripted',
        blkMq,
        insert: (r) => void fifo.push(r),
        dispatch: () => {
          calls.push(sim.now);
          return hold ? null : (fifo.shift() ?? null);
        },
        completed: () => {},
        queued: () => fifo.length,
        queueLengths: () => new Map(),
      };
    },
  });
  return {
    sim,
    queue,
    calls,
    env: () => env as unknown as SchedulerEnv,
    setHold: (h: boolean) => {
      hold = h;
    },
  };
}

describe('legacy single-queue runs (4.19)', () => {
  it('runs the scheduler after every completion, even with nothing queued', () => {
    const b = bench(false, 32);
    b.queue.add(rq(1));
    b.sim.runUntil(50 * MS);
    // insert → dispatch (sends) → dispatch (null); completion at 10 ms → dispatch (null).
    expect(b.calls).toEqual([0, 0, 10 * MS]);
  });
});

describe('blk-mq runs (6.1)', () => {
  it('NCQ device: a completion re-runs nothing; the scheduler is asked only while it has work', () => {
    // blk_mq_do_dispatch_sched stops when has_work is false; scsi_end_request re-runs the queue
    // only if sdev->restarts was raised by a failed scsi_mq_get_budget, which a 32-deep device
    // holding one command never does.
    const b = bench(true, 32);
    b.queue.add(rq(1));
    b.sim.runUntil(50 * MS);
    expect(b.calls).toEqual([0]);
  });

  it('depth-1 device: a request that found the device busy is dispatched at the completion', () => {
    // The run at the second insert fails scsi_mq_get_budget (restarts++); the completion of the
    // first request then runs the queue (scsi_run_queue_async).
    const b = bench(true, 1);
    b.queue.add(rq(1));
    b.sim.runUntil(2 * MS);
    b.queue.add(rq(2));
    b.sim.runUntil(50 * MS);
    expect(b.calls).toEqual([0, 10 * MS]);
  });

  it('NCQ device: a run in which the scheduler sends nothing is repeated BLK_MQ_BUDGET_DELAY later', () => {
    // __blk_mq_do_dispatch_sched: dispatch_request returned NULL with work pending and nothing was
    // dispatched in the round → blk_mq_delay_run_hw_queues(q, BLK_MQ_BUDGET_DELAY).
    expect(BLK_MQ_BUDGET_DELAY).toBe(3 * MS);
    const b = bench(true, 32);
    b.setHold(true);
    b.queue.add(rq(1));
    b.sim.runUntil(7 * MS);
    expect(b.calls).toEqual([0, 3 * MS, 6 * MS]);
    // The scheduler's own kick (e.g. BFQ's idle timer → bfq_schedule_dispatch) runs it at once and
    // replaces the pending delayed run (both are hctx->run_work).
    b.setHold(false);
    b.env().kick();
    b.sim.runUntil(8 * MS);
    expect(b.calls).toEqual([0, 3 * MS, 6 * MS, 7 * MS]);
    b.sim.runUntil(30 * MS);
    expect(b.calls).toEqual([0, 3 * MS, 6 * MS, 7 * MS]);
  });
});
