/**
 * BFQ budgets and the peak-rate estimator (block/bfq-iosched.c): bfq_min_budget (minBudget),
 * bfq_bfqq_budget_left (budgetLeft), bfq_bfqq_budget_timeout / bfq_may_expire_for_budg_timeout,
 * bfq_serv_to_charge (serviceToCharge), __bfq_bfqq_recalc_budget (recalcBudget), bfq_bfqq_is_slow
 * (isSlow), bfq_bfqq_charge_time (chargeTime), bfq_reset_rate_computation (resetRate),
 * bfq_update_rate_reset (updateRateReset) and bfq_update_peak_rate (updatePeakRate).
 */
import { MS } from '../../core/time';
import { type BlockRequest, endSector } from '../../io/request';
import { asymmetric } from './idling';
import { nextRq, seeky } from './iosched';
import {
  ASYNC_CHARGE_FACTOR,
  type BfqData,
  DEFAULT_MAX_BUDGET,
  MIN_TT,
  type Queue,
  RATE_MAX,
  RATE_MIN_INTERVAL,
  RATE_MIN_SAMPLES,
  RATE_REF_INTERVAL,
  type Reason,
  SECT_THR_NONROT,
  SEEK_THR,
  STATS_MIN_BUDGETS,
} from './types';
import { served } from './wf2q';

export function minBudget(bfqd: BfqData) {
  return bfqd.budgetsAssigned < STATS_MIN_BUDGETS ? DEFAULT_MAX_BUDGET / 32 : bfqd.bfqMaxBudget / 32;
}

export function budgetLeft(q: Queue) {
  return q.entity.budget - q.entity.service;
}

export function budgetTimedOut(bfqd: BfqData, q: Queue) {
  return bfqd.env.now() >= q.budgetTimeout;
}

export function mayExpireForBudgTimeout(bfqd: BfqData, q: Queue) {
  return (!bfqd.waitRequest || budgetLeft(q) >= q.entity.budget / 3) && budgetTimedOut(bfqd, q);
}

export function serviceToCharge(bfqd: BfqData, q: Queue, rq: BlockRequest) {
  return q.sync || q.wrCoeff > 1 || asymmetric(bfqd, q) ? rq.sectors : rq.sectors * ASYNC_CHARGE_FACTOR;
}

export function recalcBudget(bfqd: BfqData, q: Queue, reason: Reason) {
  const minB = minBudget(bfqd);
  let budget = q.wrCoeff === 1 ? q.maxBudget : 2 * minB;
  if (q.sync && q.wrCoeff === 1) {
    switch (reason) {
      case 'too_idle':
        if (q.dispatched > 0) budget = Math.min(budget * 2, bfqd.bfqMaxBudget);
        else if (budget > 5 * minB) budget -= 4 * minB;
        else budget = minB;
        break;
      case 'budget_timeout':
        budget = Math.min(budget * 2, bfqd.bfqMaxBudget);
        break;
      case 'budget_exhausted':
        budget = Math.min(budget * 4, bfqd.bfqMaxBudget);
        break;
      case 'no_more_requests':
        budget = Math.max(q.entity.service, minB);
        break;
      default:
        return;
    }
  } else if (!q.sync) budget = bfqd.bfqMaxBudget;
  q.maxBudget = budget;
  if (bfqd.budgetsAssigned >= STATS_MIN_BUDGETS && bfqd.userMaxBudget === 0)
    q.maxBudget = Math.min(q.maxBudget, bfqd.bfqMaxBudget);
  const rq = nextRq(bfqd, q);
  if (rq) q.entity.budget = Math.max(q.maxBudget, serviceToCharge(bfqd, q, rq));
}

/** bfq_bfqq_is_slow; returns the time (ms) to charge. */
export function isSlow(bfqd: BfqData, q: Queue, compensate: boolean): { slow: boolean; deltaMs: number } {
  const delta = (compensate ? bfqd.lastIdlingStart : bfqd.env.now()) - bfqd.lastBudgetStart;
  let slow = seeky(q);
  if (!q.sync) return { slow: false, deltaMs: delta / MS };
  if (delta < MS) return { slow, deltaMs: bfqd.rot ? bfqd.sliceIdle / MS : MIN_TT / MS };
  if (delta > 20 * MS) slow = q.entity.service < bfqd.bfqMaxBudget / 2;
  return { slow, deltaMs: delta / MS };
}

/** bfq_bfqq_charge_time: seeky/slow queues are charged the time they held the device. */
export function chargeTime(bfqd: BfqData, q: Queue, timeMs: number) {
  const timeoutMs = bfqd.timeoutSync / MS;
  const bounded = Math.min(timeMs, timeoutMs);
  const forTime = (bfqd.bfqMaxBudget * bounded) / timeoutMs;
  const tot = Math.max(forTime, q.entity.service);
  if (tot > q.entity.budget) q.entity.budget = tot;
  served(bfqd, q, tot - q.entity.service);
}

export function resetRate(bfqd: BfqData, rq: BlockRequest | null) {
  if (!rq) {
    bfqd.rateSamples = 0;
    return;
  }
  bfqd.lastRqMaxSize = rq.sectors;
  bfqd.firstDispatch = bfqd.env.now();
  bfqd.rateSamples = 1;
  bfqd.seqSamples = 0;
  bfqd.totSectorsDispatched = rq.sectors;
  bfqd.deltaFromFirst = 0;
}

export function updateRateReset(bfqd: BfqData, rq: BlockRequest | null) {
  if (bfqd.rateSamples >= RATE_MIN_SAMPLES && bfqd.deltaFromFirst >= RATE_MIN_INTERVAL) {
    bfqd.deltaFromFirst = Math.max(bfqd.deltaFromFirst, bfqd.lastCompletion - bfqd.firstDispatch);
    const rate = bfqd.totSectorsDispatched / (bfqd.deltaFromFirst / 1000); // sectors/µs
    if (!((bfqd.seqSamples < (3 * bfqd.rateSamples) / 4 && rate <= bfqd.peakRate) || rate > RATE_MAX)) {
      let weight = Math.floor((9 * bfqd.seqSamples) / bfqd.rateSamples);
      weight = Math.min(8, Math.floor((weight * bfqd.deltaFromFirst) / RATE_REF_INTERVAL));
      const divisor = 10 - weight;
      bfqd.peakRate = (bfqd.peakRate * (divisor - 1)) / divisor + rate / divisor;
      if (bfqd.userMaxBudget === 0)
        bfqd.bfqMaxBudget = Math.max(1, Math.round((bfqd.peakRate * bfqd.timeoutSync) / 1000));
    }
  }
  resetRate(bfqd, rq);
}

export function updatePeakRate(bfqd: BfqData, rq: BlockRequest) {
  const now = bfqd.env.now();
  if (bfqd.rateSamples === 0) resetRate(bfqd, rq);
  else if (now - bfqd.lastDispatch > 100 * MS && bfqd.inDriver === 0) updateRateReset(bfqd, rq);
  else {
    bfqd.rateSamples++;
    bfqd.lastRqMaxSize = bfqd.rateSamples % 32 === 0 ? rq.sectors : Math.max(bfqd.lastRqMaxSize, rq.sectors);
    const isSeeky =
      Math.abs(rq.sector - bfqd.lastPosition) > SEEK_THR && (bfqd.rot || rq.sectors < SECT_THR_NONROT);
    if ((bfqd.inDriver > 0 || now - bfqd.lastCompletion < MIN_TT) && !isSeeky) bfqd.seqSamples++;
    bfqd.totSectorsDispatched += rq.sectors;
    bfqd.deltaFromFirst = now - bfqd.firstDispatch;
    if (bfqd.deltaFromFirst >= RATE_REF_INTERVAL) updateRateReset(bfqd, rq);
  }
  bfqd.lastPosition = endSector(rq);
  bfqd.lastDispatch = now;
}
