/**
 * BFQ I/O injection and waker detection (block/bfq-iosched.c): the waker and inject-limit part of
 * bfq_add_request (addToEmptyQueue), bfq_reset_inject_limit (resetInjectLimit),
 * bfq_update_inject_limit (updateInjectLimit), the injection branch of bfq_select_queue
 * (injectionQueue: the process's async queue, the waker queue, then a generic candidate) and
 * bfq_choose_bfqq_for_injection (chooseForInjection, fitsBudget).
 */
import type { BlockRequest } from '../../io/request';
import { budgetLeft, serviceToCharge } from './budget';
import { idlingBoostsThr, wrBusy } from './idling';
import { ioprioOf, nextRq } from './iosched';
import {
  type BfqData,
  INJECT_RESET_PERIOD,
  INJECT_SAMPLE_MIN_GAP,
  type Queue,
  SECT_THR_NONROT,
  WAKER_WINDOW,
  WAKER_WINDOW_61,
} from './types';

/**
 * bfq_check_waker (6.1): q, with a long think time, gets its process's only request less than
 * 4 ms after a completion of another queue L. The same L three times in a row (restarting when
 * the first of them is more than 128·slice_idle old) makes L q's waker.
 */
function checkWaker(bfqd: BfqData, q: Queue, now: number) {
  const lc = bfqd.lastCompletedQueue;
  if (!lc || lc === q || q.hasShortTtime || now - bfqd.lastCompletion >= WAKER_WINDOW_61 || lc === q.waker)
    return;
  if (lc !== q.tentativeWaker || now > q.wakerDetectionStarted + 128 * bfqd.sliceIdle) {
    q.tentativeWaker = lc;
    q.wakerDetections = 1;
    q.wakerDetectionStarted = now;
  } else q.wakerDetections++;
  if (q.wakerDetections === 3) {
    q.waker?.woken.delete(q);
    q.waker = lc;
    q.hasWaker = true;
    q.tentativeWaker = null;
    lc.woken.add(q);
  }
}

/**
 * bfq_add_request for a sync request that is its process's only one (6.1) / that reaches an empty
 * queue (5.10): waker detection (6.1: bfq_check_waker; 5.10: a queue with long think time becoming
 * non-empty < 200 µs after a completion of the same other queue twice in a row), the periodic
 * (1 s) inject_limit reset, and the start of a total service time sample if q is in service and
 * either nothing is in flight (baseline) or injected requests are (effect of the limit), no sooner
 * than 10 ms after the last decrease.
 */
export function addToEmptyQueue(bfqd: BfqData, q: Queue) {
  const now = bfqd.env.now();
  const lc = bfqd.lastCompletedQueue;
  if (!bfqd.linux510) checkWaker(bfqd, q, now);
  else if (lc && !q.hasShortTtime && now - bfqd.lastCompletion < WAKER_WINDOW) {
    if (lc !== q && lc !== q.waker) {
      q.waker?.woken.delete(q);
      q.waker = lc;
      lc.woken.add(q);
      q.hasWaker = false;
    } else if (lc === q.waker && !q.hasWaker) q.hasWaker = true;
  }
  if (now >= q.decreaseTime + INJECT_RESET_PERIOD) resetInjectLimit(bfqd, q);
  if (
    q === bfqd.inService &&
    (bfqd.inDriver === 0 || (q.lastServTime > 0 && bfqd.rqsInjected && bfqd.inDriver > 0)) &&
    now >= q.decreaseTime + INJECT_SAMPLE_MIN_GAP
  ) {
    bfqd.lastEmptyOccupied = now;
    bfqd.waitDispatch = true;
    // Injection done before this arrival, with nothing in flight now, cannot delay it.
    if (bfqd.inDriver === 0) bfqd.rqsInjected = false;
  }
}

/** bfq_reset_inject_limit: forget the baseline; start from 0 (short think time) or 1. */
export function resetInjectLimit(bfqd: BfqData, q: Queue) {
  q.lastServTime = 0;
  bfqd.waitedRq = null;
  q.injectLimit = q.hasShortTtime ? 0 : 1;
  q.decreaseTime = bfqd.env.now();
}

/**
 * bfq_update_inject_limit, at the completion of the awaited first request of q (called before
 * the completion is accounted, so inDriver === 1 means nothing else is in flight): compare its
 * total service time (enqueue → completion) with the baseline, < 1.5× → +1 (up to
 * max_rq_in_driver + 1), ≥ 1.5× → −1; take or lower the baseline when nothing was injected.
 */
export function updateInjectLimit(bfqd: BfqData, q: Queue) {
  const now = bfqd.env.now();
  const tot = now - bfqd.lastEmptyOccupied;
  const old = q.injectLimit;
  if (q.lastServTime > 0 && bfqd.rqsInjected) {
    const threshold = Math.floor((q.lastServTime * 3) / 2);
    if (tot >= threshold && old > 0) {
      q.injectLimit--;
      q.decreaseTime = now;
      bfqd.injected.limitDecreases++;
    } else if (tot < threshold && old <= bfqd.maxRqInDriver) {
      q.injectLimit++;
      bfqd.injected.limitRaises++;
    }
  }
  if ((q.lastServTime === 0 && bfqd.inDriver === 1) || tot < q.lastServTime) {
    // A base value at last: make sure injection starts.
    if (q.lastServTime === 0) q.injectLimit = Math.max(1, old);
    q.lastServTime = tot;
  } else if (!bfqd.rqsInjected && bfqd.inDriver === 1) q.lastServTime = tot;
  bfqd.injected.maxLimit = Math.max(bfqd.injected.maxLimit, q.injectLimit);
  bfqd.waitedRq = null;
  bfqd.rqsInjected = false;
}

/** bfqq->bic->bfqq[0]: the async queue of q's (unshared) process, if busy with a request. */
export function processAsyncQueue(bfqd: BfqData, q: Queue): Queue | null {
  if (!q.bic) return null;
  const a = bfqd.queues.get(ioprioOf(bfqd, q.bic.ctx, q.bic.group).asyncKey);
  return a?.busy && a.queued.size > 0 ? a : null;
}

export function fitsBudget(bfqd: BfqData, q: Queue): BlockRequest | null {
  const rq = nextRq(bfqd, q);
  return rq && serviceToCharge(bfqd, q, rq) <= budgetLeft(q) ? rq : null;
}

/**
 * bfq_choose_bfqq_for_injection: the first queue of the active list (newest first) with a request
 * that fits its budget, while fewer requests than the in-service queue's inject_limit are in flight.
 */
export function chooseForInjection(bfqd: BfqData, cur: Queue): Queue | null {
  let limit = cur.injectLimit;
  const alwaysInject = cur.wrCoeff === 1 || !cur.hasShortTtime;
  // No baseline yet and plugged for ≥ slice_idle: temporarily allow one request.
  if (
    limit === 0 &&
    cur.lastServTime === 0 &&
    bfqd.waitRequest &&
    bfqd.env.now() >= bfqd.lastIdlingStart + bfqd.sliceIdle
  )
    limit = 1;
  if (bfqd.inDriver >= limit) return null;
  const cands: Queue[] = [];
  for (const q of bfqd.queues.values())
    if (q.entity.where === 'active' && q.queued.size > 0 && q !== cur) cands.push(q);
  cands.sort((a, b) => b.activeStamp - a.activeStamp);
  for (const q of cands) {
    if (!(alwaysInject || q.wrCoeff > 1)) continue;
    const rq = fitsBudget(bfqd, q);
    if (!rq) continue;
    // Only one large request in flight on non-rotational devices. (As in the kernel, the limit is
    // re-read here, so the temporary raise above only survives for such large requests.)
    limit = !bfqd.rot && rq.sectors >= SECT_THR_NONROT ? Math.min(1, limit) : cur.injectLimit;
    if (bfqd.inDriver < limit) {
      bfqd.rqsInjected = true;
      return q;
    }
  }
  return null;
}

/**
 * The three mutually exclusive injection choices of bfq_select_queue while q is plugged: its
 * process's async I/O, its waker's I/O (5.12 fix: the waker's next request is checked; 5.10–5.11
 * tested q's own, always empty here, so the branch never fired), else generic injection if idling
 * is not for throughput and q is unraised, several queues are raised, or q thinks long.
 */
export function injectionQueue(bfqd: BfqData, q: Queue): Queue | null {
  const a = processAsyncQueue(bfqd, q);
  const aRq = a ? nextRq(bfqd, a) : null;
  if (a && aRq && aRq.ctx === q.bic?.ctx && serviceToCharge(bfqd, a, aRq) <= budgetLeft(a)) {
    bfqd.injected.async++;
    return a;
  }
  const w = q.waker;
  if (q.hasWaker && w?.busy && fitsBudget(bfqd, w)) {
    bfqd.injected.waker++;
    return w;
  }
  if (!idlingBoostsThr(bfqd, q) && (q.wrCoeff === 1 || wrBusy(bfqd) > 1 || !q.hasShortTtime)) {
    const g = chooseForInjection(bfqd, q);
    if (g) bfqd.injected.generic++;
    return g;
  }
  return null;
}
