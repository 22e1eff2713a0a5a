/**
 * deadline: block/deadline-iosched.c as in Linux 2.6.3x–4.x (single-queue).
 *
 * Per direction (READ / WRITE by the request's op, not its sync flag): a sort list by start sector
 * and a FIFO ordered by deadline (arrival + read_expire / write_expire). Requests are dispatched in
 * ascending-sector batches of up to fifo_batch requests; deadlines are looked at only when a new
 * batch starts, and only to choose where the batch starts, never its direction. Reads are preferred
 * but a pending write batch is forced after writes_starved read batches. See
 * docs/schedulers/deadline.md.
 */
import type { TunableValues } from '../../common/spec/tunables';
import { MS } from '../core/time';
import type { BlockRequest } from '../io/request';
import { CtxCounts, DirQueue } from './sortlist';
import type { IoScheduler, SchedulerEnv } from './types';

const READ = 0;
const WRITE = 1;
type Dir = typeof READ | typeof WRITE;

const dirOf = (rq: BlockRequest): Dir => (rq.op === 'read' ? READ : WRITE);

export function createDeadline(env: SchedulerEnv, params: TunableValues): IoScheduler {
  const fifoExpire = [
    Math.round((params.read_expire_ms ?? 500) * MS),
    Math.round((params.write_expire_ms ?? 5000) * MS),
  ];
  const fifoBatch = Math.max(1, Math.round(params.fifo_batch ?? 16));
  const writesStarved = Math.round(params.writes_starved ?? 2);
  const frontMerges = (params.front_merges ?? 1) !== 0;

  const dq: [DirQueue, DirQueue] = [new DirQueue(), new DirQueue()];
  /** Sector successor of the last dispatched request, in its direction (the batch continuation). */
  const nextRq: [BlockRequest | null, BlockRequest | null] = [null, null];
  /** Requests dispatched in the current batch. */
  let batching = 0;
  /** Read batches started while writes were pending. */
  let starved = 0;
  const counts = new CtxCounts();
  let lastService = -2;

  /** deadline_del_rq_rb + fifo removal: forget a queued request (dispatch or merged away). */
  const removeQueued = (rq: BlockRequest) => {
    const dir = dirOf(rq);
    if (nextRq[dir] === rq) nextRq[dir] = dq[dir].sort.next(rq);
    dq[dir].remove(rq);
    counts.dec(rq.ctx);
  };

  /** attempt_merge: `next` is absorbed into `rq`; the survivor keeps the earlier deadline. */
  const mergeRequests = (q: DirQueue, rq: BlockRequest, next: BlockRequest) => {
    const dir = dirOf(next);
    if (nextRq[dir] === next) nextRq[dir] = q.sort.next(next);
    counts.dec(next.ctx);
    q.absorb(rq, next);
  };

  /** deadline_move_request: dispatch `rq`, remember its sector successor for the batch. */
  const moveToDispatch = (rq: BlockRequest): BlockRequest => {
    const dir = dirOf(rq);
    nextRq[READ] = null;
    nextRq[WRITE] = null;
    nextRq[dir] = dq[dir].sort.next(rq);
    removeQueued(rq);
    if (rq.ctx !== lastService) {
      lastService = rq.ctx;
      env.trace.serviceStart(rq.ctx);
    }
    return rq;
  };

  return {
    name: 'deadline',
    insert(rq) {
      const dir = dirOf(rq);
      const q = dq[dir];
      // elv_merge: back merge through the end-sector hash, then deadline_merge's front merge.
      if (q.mergeBio(rq, frontMerges, mergeRequests)) return;
      rq.insertedAt = env.now();
      q.add(rq, env.now() + fifoExpire[dir]);
      counts.inc(rq.ctx);
    },

    dispatch() {
      const reads = dq[READ].size > 0;
      const writes = dq[WRITE].size > 0;
      // 1. Continue the current batch (the last dispatch's successor) while it has room.
      let rq = nextRq[WRITE] ?? nextRq[READ];
      if (rq && batching < fifoBatch) {
        batching++;
        return moveToDispatch(rq);
      }
      // 2. A new batch: reads unless writes have been starved for writes_starved read batches.
      let dir: Dir;
      if (reads) {
        if (writes && starved++ >= writesStarved) {
          starved = 0;
          dir = WRITE;
        } else dir = READ;
      } else if (writes) {
        starved = 0;
        dir = WRITE;
      } else return null;
      // 3. Start at the FIFO head if it has expired (or there is no successor), else continue the sweep.
      const head = dq[dir].fifoHead()!;
      if (env.now() >= dq[dir].deadline(head) || !nextRq[dir]) rq = head;
      else rq = nextRq[dir]!;
      batching = 1;
      return moveToDispatch(rq);
    },

    completed() {},

    queued() {
      return dq[READ].size + dq[WRITE].size;
    },

    queueLengths() {
      return counts.map;
    },
  };
}
