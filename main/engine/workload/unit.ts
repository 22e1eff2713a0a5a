/** A fresh I/O unit as a workload thread issues it (generated or replayed from a trace). */
import type { IoUnit, Op } from '../io/request';
import type { ThreadPlan } from './thread';

export function newIoUnit(
  id: number,
  plan: ThreadPlan,
  op: Op,
  sector: number,
  sectors: number,
  now: number,
): IoUnit {
  return {
    id,
    op,
    sync: op === 'read' || plan.syncWrites,
    sector,
    sectors,
    thread: plan.index,
    pid: plan.pid,
    vm: plan.vm,
    hostCtx: -1,
    hostSector: -1,
    tSubmit: now,
    tGuestOut: -1,
    tHostIn: -1,
    tHostOut: -1,
    tDone: -1,
    cacheHit: false,
  };
}
