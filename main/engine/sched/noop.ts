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
  const byEnd = new Map<number, BlockRequest>();
  const byStart = new Map<number, BlockRequest>();
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
      rq.insertedAt = env.now();
      fifo.push(rq);
      index(rq);
      counts.set(rq.ctx, (counts.get(rq.ctx) ?? 0) + 1);
    },
    dispatch() {
      if (head >= fifo.length) return null;
      const rq = fifo[head++];
      if (head > 1024 && head * 2 > fifo.length) {
        fifo.splice(0, head);
        head = 0;
      }
      unindex(rq);
      const c = (counts.get(rq.ctx) ?? 1) - 1;
      if (c === 0) counts.delete(rq.ctx);
      else counts.set(rq.ctx, c);
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
    queueLengths() {
      return counts;
    },
  };
}
