/**
 * BFQ weight raising (block/bfq-iosched.c, low_latency): bfq_wr_duration (wrDuration),
 * bfq_handle_burst (handleBurst, large-burst detection), bfq_bfqq_end_wr (endWr),
 * switch_back_to_interactive_wr, bfq_update_wr_data (updateWrData), bfq_bfqq_softrt_next_start
 * (softrtNextStart) and bfq_bfqq_handle_idle_busy_switch with bfq_update_bfqq_wr_on_rq_arrival and
 * bfq_bfqq_update_budg_for_activation (idleBusySwitch: a queue becoming busy, raised or not, and
 * whether it preempts the in-service queue).
 */
import { SEC } from '../../core/time';
import type { BlockRequest } from '../../io/request';
import { budgetLeft, minBudget, serviceToCharge } from './budget';
import { higherWeight, mayPreempt } from './cgroup';
import { betterToIdle } from './idling';
import { expire } from './iosched';
import {
  type BfqData,
  BURST_INTERVAL,
  JIFFY,
  LARGE_BURST_THRESH,
  MAX_SERVICE_FROM_WR,
  popcount,
  type Queue,
  REQUESTS_WITHIN_TIMER,
  WR_COEFF,
  WR_MAX_SOFTRT_RATE,
  WR_MIN_IDLE_TIME,
  WR_RT_COEFF,
  WR_RT_MAX_TIME,
} from './types';
import { activateQueue, setWeight } from './wf2q';

export function wrDuration(bfqd: BfqData) {
  return Math.min(25 * SEC, Math.max(3 * SEC, bfqd.rateDurProd / bfqd.peakRate));
}

/** bfq_handle_burst (simplified): ≥8 sync queues created in one group ≤180 ms apart. */
export function handleBurst(bfqd: BfqData, q: Queue) {
  const now = bfqd.env.now();
  const within = now - bfqd.lastBurstTime <= BURST_INTERVAL && bfqd.burstGroup === q.group.id;
  if (!within) {
    bfqd.burstList = [q];
    bfqd.largeBurst = false;
  } else if (bfqd.largeBurst) q.inLargeBurst = true;
  else {
    bfqd.burstList.push(q);
    if (bfqd.burstList.length >= LARGE_BURST_THRESH) {
      bfqd.largeBurst = true;
      for (const b of bfqd.burstList) {
        b.inLargeBurst = true;
        if (b.wrCoeff > 1) endWr(bfqd, b);
      }
      bfqd.burstList = [];
    }
  }
  bfqd.lastBurstTime = now;
  bfqd.burstGroup = q.group.id;
}

export function applyWeight(q: Queue) {
  return setWeight(q.entity, q.origWeight * q.wrCoeff);
}

export function endWr(bfqd: BfqData, q: Queue) {
  // 5.12+ (3c337690d2eb "avoid spurious switches to soft_rt of interactive queues"): the end of
  // interactive raising forgets the bandwidth consumed, so a soft real-time phase is detected soon.
  if (q.wrCurMaxTime !== WR_RT_MAX_TIME) q.softRtNextStart = bfqd.env.now();
  q.wrCoeff = 1;
  q.wrCurMaxTime = 0;
  q.lastWrStartFinish = bfqd.env.now();
  applyWeight(q);
}

/** switch_back_to_interactive_wr: resume the interactive period that soft-rt raising interrupted. */
export function switchBackToInteractiveWr(bfqd: BfqData, q: Queue) {
  q.wrCoeff = WR_COEFF;
  q.wrCurMaxTime = wrDuration(bfqd);
  q.lastWrStartFinish = q.wrStartAtSwitchToSrt;
  applyWeight(q);
}

/** bfq_update_wr_data: end or switch raising at dispatch time. */
export function updateWrData(bfqd: BfqData, q: Queue) {
  const now = bfqd.env.now();
  if (q.wrCoeff > 1) {
    if (q.inLargeBurst) endWr(bfqd, q);
    else if (now > q.lastWrStartFinish + q.wrCurMaxTime) {
      if (q.wrCurMaxTime !== WR_RT_MAX_TIME || now > q.wrStartAtSwitchToSrt + wrDuration(bfqd))
        endWr(bfqd, q);
      else switchBackToInteractiveWr(bfqd, q);
    }
    if (q.wrCoeff > 1 && q.wrCurMaxTime !== WR_RT_MAX_TIME && q.serviceFromWr > MAX_SERVICE_FROM_WR)
      endWr(bfqd, q);
  }
}

export function softrtNextStart(bfqd: BfqData, q: Queue) {
  return Math.max(
    q.softRtNextStart,
    q.lastIdleBklogged + (SEC * q.serviceFromBacklogged) / WR_MAX_SOFTRT_RATE,
    bfqd.env.now() + bfqd.sliceIdle + 4 * JIFFY,
  );
}

/** bfq_bfqq_handle_idle_busy_switch: a non-busy queue gets a request. */
export function idleBusySwitch(bfqd: BfqData, q: Queue, rq: BlockRequest) {
  const now = bfqd.env.now();
  const oldWr = q.wrCoeff;
  const idleForLong = q.dispatched === 0 && now > q.budgetTimeout + WR_MIN_IDLE_TIME;
  const inBurst = q.inLargeBurst;
  // Only queues with the default weight are raised (user-set weights are respected).
  const defaultWeight = q.origWeight === 40;
  const softRt =
    popcount(q.seekHistory) < 32 &&
    !inBurst &&
    now > q.softRtNextStart &&
    q.dispatched === 0 &&
    defaultWeight;
  const interactive = !inBurst && idleForLong && defaultWeight;
  const wrOrDeserves = bfqd.lowLatency && (q.wrCoeff > 1 || (q.sync && (interactive || softRt)));
  const arrivedInTime = now <= q.lastEndRequest + bfqd.sliceIdle * 3;
  // bfq_bfqq_update_budg_for_activation
  let wantsToPreempt = false;
  if (q.nonBlockingWaitRq && arrivedInTime && budgetLeft(q) > 0) {
    q.entity.budget = Math.min(budgetLeft(q), q.maxBudget);
    wantsToPreempt = true;
  } else {
    q.entity.budget = Math.max(q.maxBudget, serviceToCharge(bfqd, q, rq));
    q.nonBlockingWaitRq = false;
  }
  q.entity.service = 0;
  const backshift = q.nonBlockingWaitRq;
  q.nonBlockingWaitRq = false;
  if (!q.ioBound) {
    if (arrivedInTime) {
      if (++q.requestsWithinTimer >= REQUESTS_WITHIN_TIMER) q.ioBound = true;
    } else q.requestsWithinTimer = 0;
  }
  if (bfqd.lowLatency && q.sync) {
    // bfq_update_bfqq_wr_on_rq_arrival
    if (oldWr === 1 && wrOrDeserves) {
      if (interactive) {
        q.serviceFromWr = 0;
        q.wrCoeff = WR_COEFF;
        q.wrCurMaxTime = wrDuration(bfqd);
      } else {
        q.wrStartAtSwitchToSrt = Number.NEGATIVE_INFINITY;
        q.wrCoeff = WR_RT_COEFF;
        q.wrCurMaxTime = WR_RT_MAX_TIME;
      }
      q.entity.budget = Math.min(q.entity.budget, 2 * minBudget(bfqd));
      q.lastWrStartFinish = now;
    } else if (oldWr > 1) {
      if (interactive) {
        q.wrCoeff = WR_COEFF;
        q.wrCurMaxTime = wrDuration(bfqd);
      } else if (inBurst) q.wrCoeff = 1;
      else if (softRt) {
        if (q.wrCurMaxTime !== WR_RT_MAX_TIME) {
          q.wrStartAtSwitchToSrt = q.lastWrStartFinish;
          q.wrCurMaxTime = WR_RT_MAX_TIME;
          q.wrCoeff = WR_RT_COEFF;
        }
        q.lastWrStartFinish = now;
      }
    }
    applyWeight(q);
  }
  q.lastIdleBklogged = now;
  q.serviceFromBacklogged = 0;
  q.softrtUpdate = false;
  q.justCreated = false;
  // bfq_add_bfqq_busy
  q.busy = true;
  bfqd.busyCount++;
  activateQueue(bfqd, q, backshift);
  // Preemption (5.x): a hole-recovering queue at least as raised, a heavier queue, or an
  // in-service queue that no longer deserves idling.
  const cur = bfqd.inService;
  if (
    cur &&
    cur !== q &&
    ((wantsToPreempt && q.wrCoeff >= cur.wrCoeff) || higherWeight(q, cur) || !betterToIdle(bfqd, cur)) &&
    mayPreempt(bfqd, cur)
  )
    expire(bfqd, cur, false, 'preempted');
}
