/**
 * noop: a FIFO with back and front merging of adjacent requests (block/noop-iosched.c plus the
 * generic merge code of the block layer). It never idles and does not sort.
 */
import { type BlockRequest, DEFAULT_MAX_MERGE_SECTORS, endSector } from '../io/request';
import type { IoScheduler, SchedulerEnv } from './types';

export function createNoop(env: SchedulerEnv): IoScheduler {
  const fifo: BlockRequest[] = [];
  let head = 0;
  // Merge candidates: queued requests by end sector (back merge) and start sector (front merge).
  // Indexed lazily: a request is only looked up by a later insert, so fifo[head..indexed) are in the
  // maps and the rest are added when the next insert finds the queue non-empty. At queue depth 1
  // (insert, then dispatch at once) the maps are never touched. The maps end up as if every request
  // had been indexed when it was inserted (see `dispatch` for the one case that needs care).
  const byEnd = new Map<number, BlockRequest>();
  const byStart = new Map<number, BlockRequest>();
  let indexed = 0;
  const counts = new Map<number, number>();
  let lastService = -2;

  const index = (rq: BlockRequest) => {
    byEnd.set(endSector(rq), rq);
    byStart.set(rq.sector, rq);
  };
  const unindex = (rq: BlockRequest) => {
    if (byEnd.get(endSector(rq)) === rq) byEnd.delete(endSector(rq));
    if (byStart.get(rq.sector) === rq) byStart.delete(rq.sector);
  };
  const mergeable = (a: BlockRequest, b: BlockRequest) =>
    a.op === b.op && a.sync === b.sync && a.sectors + b.sectors <= DEFAULT_MAX_MERGE_SECTORS;

  return {
    name: 'noop',
    insert(rq) {
      if (head < fifo.length) {
        while (indexed < fifo.length) index(fifo[indexed++]);
        const back = byEnd.get(rq.sector);
        if (back && mergeable(back, rq)) {
          unindex(back);
          back.sectors += rq.sectors;
          back.units.push(...rq.units);
          index(back);
          return;
        }
        const front = byStart.get(endSector(rq));
        if (front && mergeable(front, rq)) {
          unindex(front);
          front.sector = rq.sector;
          front.sectors += rq.sectors;
          front.units.unshift(...rq.units);
          index(front);
          return;
        }
      }
      rq.insertedAt = env.clock.now; // the time as a field (SchedulerEnv.clock): no call per request
      fifo.push(rq);
    },
    dispatch() {
      if (head >= fifo.length) return null;
      const rq = fifo[head];
      if (head < indexed) unindex(rq);
      else {
        // Never indexed: no insert came since its own, so it would still own both of its keys.
        if (byEnd.size > 0) byEnd.delete(endSector(rq));
        if (byStart.size > 0) byStart.delete(rq.sector);
      }
      head++;
      if (indexed < head) indexed = head;
      if (head === fifo.length) {
        // popped, not `length = 0`, which drops the backing store (a new one at the next push)
        while (fifo.length > 0) fifo.pop();
        head = 0;
        indexed = 0;
      } else if (head > 1024 && head * 2 > fifo.length) {
        fifo.splice(0, head);
        indexed -= head;
        head = 0;
      }
      if (rq.ctx !== lastService) {
        lastService = rq.ctx;
        env.trace.serviceStart(rq.ctx);
      }
      return rq;
    },
    completed() {},
    queued() {
      return fifo.length - head;
    },
    /** Counted when asked (once per sample), not on every insert and dispatch. */
    queueLengths() {
      counts.clear();
      for (let i = head; i < fifo.length; i++) {
        const c = fifo[i].ctx;
        counts.set(c, (counts.get(c) ?? 0) + 1);
      }
      return counts;
    },
  };
}
