/**
 * When BFQ idles the device for the in-service queue (block/bfq-iosched.c): bfq_asymmetric_scenario
 * (asymmetric), idling_boosts_thr_without_issues (idlingBoostsThr),
 * idling_needed_for_service_guarantees (idlingNeededForGuarantees), bfq_better_to_idle
 * (betterToIdle), bfq_bfqq_must_idle (mustIdle), bfq_arm_slice_timer (armIdleTimer),
 * bfq_clear_bfqq_wait_request (stopIdling) and bfq_idle_slice_timer_body (onIdleTimer).
 */
import { MS } from '../../core/time';
import { budgetTimedOut } from './budget';
import { expire, seeky } from './iosched';
import { type BfqData, type ClassIdx, IDLE_IDX, MIN_TT, type Queue } from './types';

export function activeQueues(bfqd: BfqData) {
  const out: Queue[] = [];
  for (const q of bfqd.queues.values()) if (q.busy || q.dispatched > 0) out.push(q);
  return out;
}

export function wrBusy(bfqd: BfqData) {
  let n = 0;
  for (const q of bfqd.queues.values()) if (q.busy && q.wrCoeff > 1) n++;
  return n;
}

/**
 * bfq_asymmetric_scenario: varied queue weights, busy queues of more than one class, or groups with
 * pending I/O. 6.1 counts the groups (the root group included) holding a queue with requests queued
 * or in flight (bfq_add_bfqq_in_groups_with_pending_reqs) and needs more than one
 * (num_groups_with_pending_reqs > 1, "do not idle if only one group is activated", 6.0); 5.10
 * (`linux_5_10`) counts any non-root group with pending I/O.
 */
export function asymmetric(bfqd: BfqData, q: Queue | null): boolean {
  const weights = new Set<number>();
  let groupsPending = false;
  let inTree = false;
  const busyClasses = new Set<ClassIdx>();
  let firstGroup: number | null = null;
  for (const a of activeQueues(bfqd)) {
    if (bfqd.linux510) {
      if (a.group.id !== 0) groupsPending = true;
    } else if (firstGroup === null) firstGroup = a.group.id;
    else if (a.group.id !== firstGroup) groupsPending = true;
    if (a.busy) busyClasses.add(a.cls);
    if (a.wrCoeff === 1) {
      weights.add(a.entity.weight);
      if (a === q) inTree = true;
    }
  }
  if (groupsPending || busyClasses.size > 1) return true;
  if (weights.size <= 1) return false;
  const smallest = q !== null && inTree && q.entity.weight === Math.min(...weights);
  return !smallest;
}

export function idlingBoostsThr(bfqd: BfqData, q: Queue): boolean {
  const rotWithoutQueueing = bfqd.rot && bfqd.hwTag === 0;
  const seqIoBound = !seeky(q) && q.ioBound && q.hasShortTtime;
  const boosts = rotWithoutQueueing || ((bfqd.rot || bfqd.hwTag === 0) && seqIoBound);
  return boosts && wrBusy(bfqd) === 0;
}

/** Since 5.3 a lone busy queue also counts as asymmetric (a new queue could otherwise flood the drive). */
export function idlingNeededForGuarantees(bfqd: BfqData, q: Queue): boolean {
  return (
    (q.wrCoeff > 1 && (wrBusy(bfqd) < bfqd.busyCount || bfqd.inDriver >= q.dispatched + 4)) ||
    asymmetric(bfqd, q) ||
    bfqd.busyCount === 1
  );
}

export function betterToIdle(bfqd: BfqData, q: Queue): boolean {
  if (bfqd.strict) return true;
  // No idling for async queues, nor for the idle class (it would steal bandwidth from the others).
  if (bfqd.sliceIdle === 0 || !q.sync || q.cls === IDLE_IDX) return false;
  return idlingBoostsThr(bfqd, q) || idlingNeededForGuarantees(bfqd, q);
}

export function mustIdle(bfqd: BfqData, q: Queue) {
  return q.queued.size === 0 && betterToIdle(bfqd, q);
}

export function stopIdling(bfqd: BfqData, paidOff: boolean) {
  if (bfqd.idleTimer) bfqd.env.cancelTimer(bfqd.idleTimer);
  bfqd.idleTimer = null;
  if (bfqd.waitRequest && bfqd.inService) bfqd.env.trace.idleEnd(bfqd.inService.ctx, paidOff);
  bfqd.waitRequest = false;
}

export function armIdleTimer(bfqd: BfqData, q: Queue) {
  bfqd.waitRequest = true;
  let sl = bfqd.sliceIdle;
  if (seeky(q) && q.wrCoeff === 1 && !asymmetric(bfqd, q)) sl = Math.min(sl, MIN_TT);
  else if (q.wrCoeff > 1) sl = Math.max(sl, 20 * MS);
  bfqd.lastIdlingStart = bfqd.env.now();
  bfqd.idleTimer = bfqd.env.setTimer(sl, () => onIdleTimer(bfqd));
  bfqd.env.trace.idleStart(q.ctx);
}

export function onIdleTimer(bfqd: BfqData) {
  bfqd.idleTimer = null;
  const q = bfqd.inService;
  if (!q || !bfqd.waitRequest) return;
  bfqd.env.trace.idleEnd(q.ctx, false);
  bfqd.waitRequest = false;
  if (budgetTimedOut(bfqd, q)) expire(bfqd, q, true, 'budget_timeout');
  else if (q.queued.size === 0) expire(bfqd, q, true, 'too_idle');
  bfqd.env.kick();
}
