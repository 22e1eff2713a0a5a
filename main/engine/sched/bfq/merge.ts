/**
 * BFQ early queue merging (block/bfq-iosched.c, 6.1): bfq_do_or_sched_stable_merge and the
 * stable-merge branch of bfq_setup_cooperator (5.14+; skipped with `linux_5_10`),
 * bfq_setup_cooperator (setupCooperator),
 * bfq_find_close_cooperator / bfqq_find_close (findCloseCooperator), bfq_may_be_close_cooperator,
 * bfq_too_late_for_merging, bfq_setup_merge, bfq_merge_bfqqs (mergeQueues, inheritWaker), bfq_bfqq_save_state /
 * bfq_bfqq_resume_state (saveState, resumeState), bfq_release_process_ref and bfq_split_bfqq
 * (splitQueue).
 */
import type { BlockRequest } from '../../io/request';
import { idlingBoostsThr } from './idling';
import { delBusy, elevatorNext, pruneQueue, seeky } from './iosched';
import {
  ACTIVATION_STABLE_MERGING,
  type BfqData,
  type Bic,
  BURST_INTERVAL,
  CLOSE_THR,
  IDLE_IDX,
  LATE_STABLE_MERGING,
  MERGE_TIME_LIMIT,
  type Queue,
  WR_COEFF,
  WR_RT_MAX_TIME,
} from './types';
import { applyWeight, switchBackToInteractiveWr, wrDuration } from './weight-raising';

/** bfqd->nonrot_with_queueing: set for non-rotational devices until hw_tag is found to be 0. */
export function nonrotWithQueueing(bfqd: BfqData) {
  return !bfqd.rot && bfqd.hwTag !== 0;
}

/** bfq_too_late_for_merging: served in this backlogged period, first served > 100 ms ago. */
export function tooLateForMerging(bfqd: BfqData, q: Queue) {
  return q.serviceFromBacklogged > 0 && bfqd.env.now() > q.firstIoTime + MERGE_TIME_LIMIT;
}

/** bfq_may_be_close_cooperator: no idle-class queue, same class, neither seeky, both sync. */
export function mayBeCloseCooperator(bfqd: BfqData, q: Queue, n: Queue) {
  return (
    !tooLateForMerging(bfqd, n) &&
    q.cls !== IDLE_IDX &&
    n.cls !== IDLE_IDX &&
    q.cls === n.cls &&
    !seeky(q) &&
    !seeky(n) &&
    q.sync &&
    n.sync
  );
}

/**
 * bfq_find_close_cooperator on the group's rq_pos_tree. The tree holds the queues of the group
 * with a next request, keyed by its sector (bfq_pos_tree_add_move keeps it up to date at every
 * change of next_rq); here it is evaluated on demand from each queue's current next request, and
 * the nearest entry stands for the kernel's rb-tree parent/neighbour walk.
 */
export function findCloseCooperator(bfqd: BfqData, q: Queue, sector: number): Queue | null {
  let best: Queue | null = null;
  let bestDist = Number.POSITIVE_INFINITY;
  for (const c of bfqd.queues.values()) {
    if (c.group !== q.group || tooLateForMerging(bfqd, c)) continue;
    const next = elevatorNext(bfqd, c);
    if (!next) continue;
    const d = Math.abs(next.sector - sector);
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  if (!best || best === q || bestDist > CLOSE_THR) return null;
  return best;
}

/** bfq_setup_merge: schedule the redirection of q's processes to the end of n's merge chain. */
export function setupMerge(q: Queue, n: Queue): Queue | null {
  if (n.procRefs === 0) return null;
  let target = n;
  while (target.newQueue) {
    if (target.newQueue === q) return null;
    target = target.newQueue;
  }
  if (q.procRefs === 0 || target.procRefs === 0) return null;
  q.newQueue = target;
  target.procRefs += q.procRefs;
  return target;
}

/**
 * bfq_do_or_sched_stable_merge (6.1): a sync queue created within the burst interval (180 ms) of
 * the group's last created one, with the same class, level and weight (a raised queue's weight
 * differs), is to be merged into it: on a non-rotational device with queueing the merge is set up
 * at once (and done at the next request), otherwise it is tentative (bic->stable_merge_bfqq) and
 * decided at the first request ≥ 600 ms after creation. Else q becomes the group's last created
 * queue if the last one is older than 600 ms or differs.
 */
export function doOrSchedStableMerge(bfqd: BfqData, q: Queue, bic: Bic) {
  const last = bfqd.lastQueueCreated.get(q.group.id);
  if (
    !last ||
    last.creationTime + ACTIVATION_STABLE_MERGING < q.creationTime ||
    q.cls !== last.cls ||
    q.ioprio !== last.ioprio ||
    q.entity.weight !== last.entity.weight
  )
    bfqd.lastQueueCreated.set(q.group.id, q);
  else if (last.creationTime + BURST_INTERVAL >= q.creationTime) {
    if (nonrotWithQueueing(bfqd)) setupMerge(q, last);
    else bic.stableMergeQueue = last;
  }
}

/**
 * bfq_setup_cooperator (called from __bfq_insert_request, and from bfq_allow_bio_merge for a bio
 * that may merge into a queued request — here both are one call per insert): the queue to which
 * q's context should be redirected, or null. 6.1 takes a scheduled merge first, then a due stable
 * merge (not on non-rotational devices with queueing); 5.10 checks the device and the "too late"
 * rule first.
 */
export function setupCooperator(bfqd: BfqData, q: Queue, rq: BlockRequest, bic: Bic | null): Queue | null {
  if (!q.sync) return null;
  if (bfqd.linux510) {
    if (nonrotWithQueueing(bfqd) || tooLateForMerging(bfqd, q)) return null;
    if (q.newQueue) return q.newQueue;
  } else {
    if (q.newQueue) return q.newQueue;
    const now = bfqd.env.now();
    const sm = bic?.stableMergeQueue;
    if (
      bic &&
      sm &&
      !nonrotWithQueueing(bfqd) &&
      !q.justCreated &&
      now > q.splitTime + LATE_STABLE_MERGING &&
      now > q.creationTime + LATE_STABLE_MERGING
    ) {
      // The tentative stable merge is decided now, done or dropped.
      const procRef = Math.min(q.procRefs, sm.procRefs);
      bic.stableMergeQueue = null;
      return !idlingBoostsThr(bfqd, q) && procRef > 0 ? setupMerge(q, sm) : null;
    }
    if (nonrotWithQueueing(bfqd) || tooLateForMerging(bfqd, q)) return null;
  }
  if (bfqd.busyCount === 1) return null;
  const cur = bfqd.inService;
  if (
    cur &&
    cur !== q &&
    Math.abs(rq.sector - bfqd.inServLastPos) <= CLOSE_THR &&
    cur.group === q.group &&
    mayBeCloseCooperator(bfqd, q, cur)
  ) {
    const n = setupMerge(q, cur);
    if (n) return n;
  }
  const n = findCloseCooperator(bfqd, q, rq.sector);
  if (n && mayBeCloseCooperator(bfqd, q, n)) return setupMerge(q, n);
  return null;
}

/** bfq_bfqq_save_state: the owning context remembers the queue's state (only unshared queues). */
export function saveState(bfqd: BfqData, q: Queue) {
  const bic = q.bic;
  if (!bic) return;
  const now = bfqd.env.now();
  // A queue merged right after creation would have been raised as interactive: save that.
  const fresh = q.justCreated && !q.inLargeBurst && bfqd.lowLatency;
  bic.saved = {
    weight: q.origWeight,
    ttSamples: q.ttSamples,
    ttTotal: q.ttTotal,
    ttMean: q.ttMean,
    hasShortTtime: q.hasShortTtime,
    ioBound: q.ioBound,
    inLargeBurst: q.inLargeBurst,
    wasInBurstList: bfqd.burstList.includes(q),
    wrCoeff: fresh ? WR_COEFF : q.wrCoeff,
    wrStartAtSwitchToSrt: fresh ? Number.NEGATIVE_INFINITY : q.wrStartAtSwitchToSrt,
    lastWrStartFinish: fresh ? now : q.lastWrStartFinish,
    wrCurMaxTime: fresh ? wrDuration(bfqd) : q.wrCurMaxTime,
  };
}

/** bfq_bfqq_resume_state: a context split from a shared queue gets its saved state back. */
export function resumeState(bfqd: BfqData, q: Queue, bic: Bic) {
  const saved = bic.saved;
  if (!saved) return;
  const now = bfqd.env.now();
  q.hasShortTtime = saved.hasShortTtime;
  q.ioBound = saved.ioBound;
  q.origWeight = saved.weight;
  q.ttSamples = saved.ttSamples;
  q.ttTotal = saved.ttTotal;
  q.ttMean = saved.ttMean;
  q.wrCoeff = saved.wrCoeff;
  q.wrStartAtSwitchToSrt = saved.wrStartAtSwitchToSrt;
  q.lastWrStartFinish = saved.lastWrStartFinish;
  q.wrCurMaxTime = saved.wrCurMaxTime;
  if (q.wrCoeff > 1 && (q.inLargeBurst || now > q.lastWrStartFinish + q.wrCurMaxTime)) {
    if (
      q.wrCurMaxTime === WR_RT_MAX_TIME &&
      !q.inLargeBurst &&
      now <= q.wrStartAtSwitchToSrt + wrDuration(bfqd)
    )
      switchBackToInteractiveWr(bfqd, q);
    else q.wrCoeff = 1;
  }
  applyWeight(q);
}

/** bfq_release_process_ref. */
export function releaseProcessRef(bfqd: BfqData, q: Queue) {
  if (q.busy && q.queued.size === 0 && q !== bfqd.inService) delBusy(bfqd, q);
  q.procRefs--;
  pruneQueue(bfqd, q);
}

/**
 * The waker inheritance of 5.12+ (commit 8ef3fc3a043c "block, bfq: make shared queues inherit
 * wakers", in 6.1): in bfq_merge_bfqqs the shared queue n takes q's waker when it has none (and
 * the waker is not n itself); in bfq_init_rq a queue newly created by a split takes the waker of
 * the shared queue it leaves. It joins the waker's woken_list (reset when the waker goes,
 * bfq_put_queue) and drops any tentative waker. Not in 5.10.
 */
export function inheritWaker(bfqd: BfqData, to: Queue, from: Queue) {
  const w = from.waker;
  if (bfqd.linux510 || !w || to.waker || w === to) return;
  to.waker = w;
  to.hasWaker = true; // 6.1 has no BFQQF_has_waker: a set waker_bfqq is one
  to.tentativeWaker = null;
  w.woken.add(to);
}

/** bfq_merge_bfqqs: redirect bic (whose queue is q) to the shared queue n. */
export function mergeQueues(bfqd: BfqData, bic: Bic, q: Queue, n: Queue) {
  saveState(bfqd, q);
  saveState(bfqd, n);
  if (q.ioBound) n.ioBound = true;
  q.ioBound = false;
  inheritWaker(bfqd, n, q);
  // n inherits q's weight raising (unless n is raised itself).
  if (n.wrCoeff === 1 && q.wrCoeff > 1) {
    n.wrCoeff = q.wrCoeff;
    n.wrCurMaxTime = q.wrCurMaxTime;
    n.lastWrStartFinish = q.lastWrStartFinish;
    n.wrStartAtSwitchToSrt = q.wrStartAtSwitchToSrt;
    applyWeight(n);
  }
  if (q.wrCoeff > 1) {
    q.wrCoeff = 1;
    applyWeight(q);
  }
  bic.queue = n;
  n.coop = true;
  n.bic = null;
  q.bic = null;
  releaseProcessRef(bfqd, q);
  bfqd.mergeCount++;
  if (bfqd.firstMergeAt < 0) bfqd.firstMergeAt = bfqd.env.now();
}

/** bfq_split_bfqq: the last context keeps the queue; any other gets a new one (returns null). */
export function splitQueue(bfqd: BfqData, bic: Bic, q: Queue): Queue | null {
  bfqd.splitCount++;
  if (q.procRefs === 1) {
    q.coop = false;
    q.splitCoop = false;
    return q;
  }
  bic.queue = null;
  releaseProcessRef(bfqd, q);
  return null;
}
