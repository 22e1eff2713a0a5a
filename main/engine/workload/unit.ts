/** A fresh I/O unit as a workload thread issues it (generated or replayed from a trace). */
import { type IoUnit, newUnit, type Op } from '../io/request';
import type { ThreadPlan } from './thread';

export function newIoUnit(
  id: number,
  plan: ThreadPlan,
  op: Op,
  sector: number,
  sectors: number,
  now: number,
): IoUnit {
  return newUnit(
    id,
    op,
    op === 'read' || plan.syncWrites,
    sector,
    sectors,
    plan.index,
    plan.pid,
    plan.vm,
    now,
  );
}
