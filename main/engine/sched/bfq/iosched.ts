/**
 * BFQ's queue and dispatch core (block/bfq-iosched.c). Follows bfq_init_queue (newBfqData),
 * bfq_insert_request / bfq_add_request (insert), bfq_dispatch_request / bfq_select_queue /
 * bfq_dispatch_rq_from_bfqq (dispatch, selectQueue), bfq_completed_request and bfq_update_hw_tag
 * (completed), bfq_get_queue / bfq_init_bfqq / bfq_get_bfqq_handle_split (createQueue, getQueue),
 * bfq_set_next_ioprio_data (ioprioOf), bfq_choose_req / bfq_find_next_rq / bfq_check_fifo
 * (chooseReq, nextRq), bfq_set_in_service_queue / bfq_set_budget_timeout (setInService),
 * bfq_bfqq_expire / __bfq_bfqq_expire (expire), bfq_del_bfqq_busy (delBusy) and bfq_put_queue
 * (pruneQueue). Budgets, idling, weight raising, injection and queue merging, which the kernel
 * keeps in the same file, are in their own modules here; see docs/schedulers/bfq.md.
 */
import type { TunableValues } from '../../../common/spec/tunables';
import type { TimerHandle } from '../../core/sim';
import { MS } from '../../core/time';
import { type BlockRequest, DEFAULT_MAX_MERGE_SECTORS, endSector, tryMerge } from '../../io/request';
import { firstIsCloser } from '../choose-req';
import { asyncQueueKey, queueIoprio } from '../ioprio';
import type { SchedulerEnv } from '../types';
import {
  budgetLeft,
  budgetTimedOut,
  chargeTime,
  isSlow,
  mayExpireForBudgTimeout,
  recalcBudget,
  serviceToCharge,
  updatePeakRate,
  updateRateReset,
} from './budget';
import { getGroup } from './cgroup';
import { armIdleTimer, betterToIdle, idlingNeededForGuarantees, mustIdle, stopIdling } from './idling';
import { addToEmptyQueue, injectionQueue, resetInjectLimit, updateInjectLimit } from './injection';
import {
  doOrSchedStableMerge,
  inheritWaker,
  mergeQueues,
  resumeState,
  setupCooperator,
  splitQueue,
} from './merge';
import {
  type BfqData,
  type BfqScheduler,
  type Bic,
  CLASS_IDX,
  type ClassIdx,
  DEFAULT_MAX_BUDGET,
  type Group,
  HW_QUEUE_SAMPLES,
  HW_QUEUE_THRESHOLD,
  IDLE_IDX,
  INJECT_TTIME_RESET_GAP,
  MIN_TT,
  popcount,
  type Queue,
  REF_RATE,
  REF_WR_DURATION,
  type Reason,
  SECT_THR_NONROT,
  SEEK_THR,
  SEEKY_BITS,
  TTIME_VALID_SAMPLES,
  WR_COEFF,
  WR_MIN_IDLE_TIME,
  WR_MIN_INTER_ARR_ASYNC,
  WR_RT_MAX_TIME,
} from './types';
import {
  applyWeight,
  endWr,
  handleBurst,
  idleBusySwitch,
  softrtNextStart,
  switchBackToInteractiveWr,
  updateWrData,
  wrDuration,
} from './weight-raising';
import { deactivateEntity, expirePath, getNextQueue, schedActive, served } from './wf2q';

/** bfq_init_queue: the tunables (sysfs defaults) and a fresh struct bfq_data. */
export function newBfqData(env: SchedulerEnv, params: TunableValues): BfqData {
  const p = (name: string, def: number) => params[name] ?? def;
  const sliceIdle = p('slice_idle_ms', 8) * MS;
  const timeoutSync = p('timeout_sync_ms', 125) * MS;
  const userMaxBudget = p('max_budget', 0);
  const lowLatency = p('low_latency', 1) !== 0;
  const backMax = p('back_seek_max_kb', 16384) * 2; // 1 KiB = 2 sectors
  const backPenalty = p('back_seek_penalty', 2);
  const fifoExpireSync = p('fifo_expire_sync_ms', 125) * MS;
  const fifoExpireAsync = p('fifo_expire_async_ms', 250) * MS;
  const strict = p('strict_guarantees', 0) !== 0;
  // Linux 5.10's behaviour where it differs from 6.1's (docs/schedulers/bfq.md, "Versions").
  const linux510 = p('linux_5_10', 0) !== 0;
  const rot = env.rotational;
  const refRate = rot ? REF_RATE.rot : REF_RATE.nonrot;
  const rateDurProd = refRate * (rot ? REF_WR_DURATION.rot : REF_WR_DURATION.nonrot);
  const groups = new Map<number, Group>();
  const queues = new Map<string, Queue>();
  const rqQueue = new Map<BlockRequest, Queue>();
  const counts = new Map<number, number>();
  const totalQueued = 0;
  const inService: Queue | null = null;
  const waitRequest = false;
  const idleTimer: TimerHandle | null = null;
  const lastIdlingStart = 0;
  const lastBudgetStart = 0;
  const budgetsAssigned = 0;
  const bfqMaxBudget = userMaxBudget > 0 ? userMaxBudget : DEFAULT_MAX_BUDGET;
  const inDriver = 0;
  // bfq_init_queue: hw_tag = −1, "unknown" (so rot_without_queueing is false and
  // nonrot_with_queueing = non-rotational); bfq_update_hw_tag decides it only after 32 samples
  // taken with more than BFQ_HW_QUEUE_THRESHOLD (3) requests in the driver or queued.
  const hwTag = -1;
  const maxRqInDriver = 0;
  const hwTagSamples = 0;
  // Peak rate estimator.
  const peakRate = (refRate * 2) / 3;
  const rateSamples = 0;
  const seqSamples = 0;
  const totSectorsDispatched = 0;
  const firstDispatch = 0;
  const lastDispatch = 0;
  const deltaFromFirst = 0;
  const lastCompletion = Number.NEGATIVE_INFINITY;
  const lastPosition = 0;
  const lastRqMaxSize = 0;
  // Burst detection.
  const burstList: Queue[] = [];
  const largeBurst = false;
  const lastBurstTime = Number.NEGATIVE_INFINITY;
  const burstGroup = -1;
  // Early queue merging.
  const bics = new Map<string, Bic>();
  const lastQueueCreated = new Map<number, Queue>();
  const queueSerial = 0;
  /** End of the last request dispatched from the in-service queue (in_serv_last_pos). */
  const inServLastPos = 0;
  const mergeCount = 0;
  const splitCount = 0;
  const firstMergeAt = -1;
  // Injection (bfqd->rqs_injected, wait_dispatch, waited_rq, last_empty_occupied_ns,
  // last_completed_rq_bfqq).
  const rqsInjected = false;
  const waitDispatch = false;
  const waitedRq: BlockRequest | null = null;
  const lastEmptyOccupied = 0;
  const lastCompletedQueue: Queue | null = null;
  const activeStamp = 0;
  const injected = { async: 0, waker: 0, generic: 0, limitRaises: 0, limitDecreases: 0, maxLimit: 0 };
  const busyCount = 0;
  return {
    env,
    params,
    sliceIdle,
    timeoutSync,
    userMaxBudget,
    lowLatency,
    backMax,
    backPenalty,
    fifoExpireSync,
    fifoExpireAsync,
    strict,
    linux510,
    rot,
    refRate,
    rateDurProd,
    groups,
    queues,
    rqQueue,
    counts,
    totalQueued,
    inService,
    waitRequest,
    idleTimer,
    lastIdlingStart,
    lastBudgetStart,
    budgetsAssigned,
    bfqMaxBudget,
    inDriver,
    hwTag,
    maxRqInDriver,
    hwTagSamples,
    peakRate,
    rateSamples,
    seqSamples,
    totSectorsDispatched,
    firstDispatch,
    lastDispatch,
    deltaFromFirst,
    lastCompletion,
    lastPosition,
    lastRqMaxSize,
    burstList,
    largeBurst,
    lastBurstTime,
    burstGroup,
    bics,
    lastQueueCreated,
    queueSerial,
    inServLastPos,
    mergeCount,
    splitCount,
    firstMergeAt,
    rqsInjected,
    waitDispatch,
    waitedRq,
    lastEmptyOccupied,
    lastCompletedQueue,
    activeStamp,
    injected,
    busyCount,
  };
}

/** A context's bic in one group. */
export function bicOf(bfqd: BfqData, ctx: number, group: number): Bic | undefined {
  return bfqd.bics.get(`${ctx}:${group}`);
}

/**
 * The context's class and level (bfq_set_next_ioprio_data), and the key of the async queue it
 * shares in `group` (bfq_async_queue_prio).
 */
export function ioprioOf(
  bfqd: BfqData,
  ctx: number,
  group: number,
): { cls: ClassIdx; ioprio: number; asyncKey: string } {
  const { cls, level } = queueIoprio(bfqd.env.contextInfo(ctx));
  return { cls: CLASS_IDX[cls], ioprio: level, asyncKey: `a${asyncQueueKey(group, cls, level)}` };
}

export function seeky(q: Queue) {
  return popcount(q.seekHistory) > SEEKY_BITS;
}

export function lowerBound(arr: BlockRequest[], sector: number) {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid].sector < sector) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** bfq_choose_req: forward distance, backward ×back_seek_penalty within back_seek_max, else wrap. */
export function chooseReq(
  bfqd: BfqData,
  r1: BlockRequest | null,
  r2: BlockRequest | null,
  last: number,
): BlockRequest | null {
  if (!r1 || r1 === r2) return r2;
  if (!r2) return r1;
  return firstIsCloser(r1.sector, r2.sector, last, bfqd.backMax, bfqd.backPenalty) ? r1 : r2;
}

export function fifoHeadRq(q: Queue): BlockRequest | null {
  while (q.fifoHead < q.fifo.length && !q.queued.has(q.fifo[q.fifoHead])) q.fifoHead++;
  if (q.fifoHead > 256 && q.fifoHead * 2 > q.fifo.length) {
    q.fifo.splice(0, q.fifoHead);
    q.fifoHead = 0;
  }
  return q.fifoHead < q.fifo.length ? q.fifo[q.fifoHead] : null;
}

/** next_rq: the FIFO head once per slot if expired (bfq_check_fifo), else the elevator choice. */
export function nextRq(bfqd: BfqData, q: Queue): BlockRequest | null {
  if (q.queued.size === 0) return null;
  if (q.fifoPick && q.queued.has(q.fifoPick)) return q.fifoPick;
  if (q === bfqd.inService && !q.fifoChecked) {
    q.fifoChecked = true;
    const head = fifoHeadRq(q);
    if (head && bfqd.env.now() >= head.insertedAt + (q.sync ? bfqd.fifoExpireSync : bfqd.fifoExpireAsync)) {
      q.fifoPick = head;
      return head;
    }
  }
  return elevatorNext(bfqd, q);
}

/** The elevator's choice of next request (no FIFO check, no side effects). */
export function elevatorNext(bfqd: BfqData, q: Queue): BlockRequest | null {
  if (q.sorted.length === 0) return null;
  const i = lowerBound(q.sorted, bfqd.lastPosition);
  const succ = i < q.sorted.length ? q.sorted[i] : q.sorted[0];
  const pred = i > 0 ? q.sorted[i - 1] : null;
  return chooseReq(bfqd, succ, pred, bfqd.lastPosition);
}

export function addSorted(q: Queue, rq: BlockRequest) {
  q.sorted.splice(lowerBound(q.sorted, rq.sector), 0, rq);
}

export function removeSorted(q: Queue, rq: BlockRequest) {
  let i = lowerBound(q.sorted, rq.sector);
  while (i < q.sorted.length && q.sorted[i] !== rq) i++;
  if (i < q.sorted.length) q.sorted.splice(i, 1);
  else {
    const j = q.sorted.indexOf(rq);
    if (j >= 0) q.sorted.splice(j, 1);
  }
}

/** bfq_get_queue + bfq_init_bfqq: a new queue (async queues are shared, see getQueue). */
export function createQueue(
  bfqd: BfqData,
  rq: BlockRequest,
  key: string,
  cls: ClassIdx,
  ioprio: number,
): Queue {
  const group = getGroup(bfqd, rq.group);
  // bfq_ioprio_to_weight, for every class (the class orders the trees, the weight shares one).
  const w = (8 - ioprio) * 10;
  const now = bfqd.env.now();
  const q: Queue = {
    key,
    ctx: rq.ctx,
    sync: rq.sync,
    group,
    cls,
    ioprio,
    entity: {
      weight: w,
      S: 0,
      F: 0,
      budget: 0,
      service: 0,
      tree: group.sched.st[cls],
      sd: group.sched,
      where: 'none',
      counted: false,
      queue: null,
      group: null,
    },
    origWeight: w,
    sorted: [],
    fifo: [],
    fifoHead: 0,
    queued: new Set(),
    fifoChecked: false,
    fifoPick: null,
    dispatched: 0,
    busy: false,
    maxBudget: (2 * bfqd.bfqMaxBudget) / 3,
    budgetTimeout: Number.NEGATIVE_INFINITY, // bfq_smallest_from_now(): new queues count as long idle
    seekHistory: 1, // bfq_init_bfqq: tentative initial value
    lastRequestPos: 0,
    ttSamples: 0,
    ttTotal: 0,
    ttMean: 0,
    lastEndRequest: now,
    // bfq_init_bfqq: tentatively short think time, except in the idle class (it never idles).
    hasShortTtime: cls !== IDLE_IDX,
    ioBound: rq.sync,
    requestsWithinTimer: 0,
    nonBlockingWaitRq: false,
    wrCoeff: 1,
    wrCurMaxTime: 0,
    lastWrStartFinish: Number.NEGATIVE_INFINITY,
    wrStartAtSwitchToSrt: Number.NEGATIVE_INFINITY,
    serviceFromWr: 0,
    softRtNextStart: now,
    softrtUpdate: false,
    lastIdleBklogged: now,
    serviceFromBacklogged: 0,
    inLargeBurst: false,
    lastArrival: now,
    bic: null,
    procRefs: 0,
    newQueue: null,
    coop: false,
    splitCoop: false,
    justCreated: rq.sync,
    firstIoTime: now,
    splitTime: Number.NEGATIVE_INFINITY,
    creationTime: now,
    injectLimit: 0,
    // kzalloc'ed decrease_time_jif: long past, so the first arrival resets the limit.
    decreaseTime: Number.NEGATIVE_INFINITY,
    lastServTime: 0,
    waker: null,
    hasWaker: false,
    woken: new Set(),
    tentativeWaker: null,
    wakerDetections: 0,
    wakerDetectionStarted: 0,
    activeStamp: 0,
  };
  q.entity.queue = q;
  bfqd.queues.set(key, q);
  return q;
}

/**
 * The queue a request goes to before early merging (bfq_init_rq): the shared async queue of its
 * group and ioprio, or its context's sync queue (the bic's), created on first use. A shared queue
 * marked split_coop is split first (bfq_split_bfqq): the context gets its own queue back, with the
 * state saved when it was merged (bfq_bfqq_resume_state).
 */
export function getQueue(bfqd: BfqData, rq: BlockRequest): Queue {
  if (!rq.sync) {
    const { cls, ioprio, asyncKey } = ioprioOf(bfqd, rq.ctx, rq.group);
    return bfqd.queues.get(asyncKey) ?? createQueue(bfqd, rq, asyncKey, cls, ioprio);
  }
  let bic = bicOf(bfqd, rq.ctx, rq.group);
  if (!bic) {
    bic = { ctx: rq.ctx, group: rq.group, queue: null, saved: null, stableMergeQueue: null, requests: 0 };
    bfqd.bics.set(`${rq.ctx}:${rq.group}`, bic);
  }
  let q = bic.queue;
  let split = false;
  let shared: Queue | null = null;
  if (q?.coop && q.splitCoop) {
    if (q.inLargeBurst && bic.saved) bic.saved.inLargeBurst = true;
    shared = q;
    q = splitQueue(bfqd, bic, q);
    split = true;
  }
  if (!q) {
    const { cls, ioprio } = ioprioOf(bfqd, rq.ctx, rq.group);
    q = createQueue(bfqd, rq, `s${rq.ctx}:${rq.group}#${bfqd.queueSerial++}`, cls, ioprio);
    q.procRefs = 1;
    bic.queue = q;
    if (split && bic.saved) {
      // bfq_get_bfqq_handle_split: the burst state follows the context.
      const saved = bic.saved;
      if ((saved.wasInBurstList && bfqd.largeBurst) || saved.inLargeBurst) q.inLargeBurst = true;
      else if (saved.wasInBurstList) bfqd.burstList.push(q);
      q.splitTime = bfqd.env.now();
    }
    // bfq_init_rq (6.1): a queue created by a split keeps the shared queue's waker
    if (shared) inheritWaker(bfqd, q, shared);
    if (!(split && bic.saved)) {
      handleBurst(bfqd, q);
      // bfq_get_queue → bfq_do_or_sched_stable_merge (6.1; not for a queue created by a split).
      if (!bfqd.linux510) doOrSchedStableMerge(bfqd, q, bic);
    }
  }
  if (q.procRefs === 1) {
    q.bic = bic;
    if (split) resumeState(bfqd, q, bic);
  }
  return q;
}

/** bfq_del_bfqq_busy for a queue that is not in service: off its tree (groups left empty too). */
export function delBusy(bfqd: BfqData, q: Queue) {
  q.busy = false;
  bfqd.busyCount--;
  deactivateEntity(q.entity);
  let g = q.group;
  while (g.entity && g.parent) {
    const ge = g.entity;
    if (schedActive(g.sched) || g.sched.inService || ge.sd.inService === ge || ge.where !== 'active') break;
    deactivateEntity(ge);
    g = g.parent;
  }
}

/** Forget a queue no context uses any more once it has nothing queued or in flight. */
export function pruneQueue(bfqd: BfqData, q: Queue) {
  if (
    q.sync &&
    q.procRefs === 0 &&
    !q.busy &&
    q.dispatched === 0 &&
    q.queued.size === 0 &&
    q !== bfqd.inService
  ) {
    bfqd.queues.delete(q.key);
    // bfq_put_queue: the queues it woke forget their waker; it leaves its waker's woken_list.
    for (const w of q.woken) {
      w.waker = null;
      w.hasWaker = false;
    }
    q.woken.clear();
    q.waker?.woken.delete(q);
    q.waker = null;
    if (bfqd.lastCompletedQueue === q) bfqd.lastCompletedQueue = null;
  }
}

export function setInService(bfqd: BfqData, q: Queue) {
  const now = bfqd.env.now();
  q.fifoChecked = false;
  q.fifoPick = null;
  bfqd.budgetsAssigned = Math.floor((bfqd.budgetsAssigned * 7 + 256) / 8);
  if (
    now > q.lastWrStartFinish &&
    q.wrCoeff > 1 &&
    q.wrCurMaxTime === WR_RT_MAX_TIME &&
    now > q.budgetTimeout
  ) {
    // Soft-rt: move the raising period forward by the time the queue received no service.
    if (q.budgetTimeout > q.lastWrStartFinish) q.lastWrStartFinish += now - q.budgetTimeout;
    else q.lastWrStartFinish = now;
  }
  // bfq_set_budget_timeout
  bfqd.lastBudgetStart = now;
  const coeff = q.wrCurMaxTime === WR_RT_MAX_TIME ? 1 : q.entity.weight / q.origWeight;
  q.budgetTimeout = now + bfqd.timeoutSync * coeff;
  bfqd.inService = q;
  // Safety net: a fresh slot must be able to serve its next request.
  const rq = nextRq(bfqd, q);
  if (rq) {
    q.entity.budget = Math.max(q.entity.budget, serviceToCharge(bfqd, q, rq));
    if (!q.sync || q.coop) q.ctx = rq.ctx;
  }
  bfqd.env.trace.serviceStart(q.ctx);
}

/** bfq_bfqq_expire + __bfq_bfqq_expire. */
export function expire(bfqd: BfqData, q: Queue, compensate: boolean, reason: Reason) {
  const now = bfqd.env.now();
  // __bfq_bfqq_expire: a shared queue whose I/O turned seeky is split at its contexts' next requests.
  if (q.coop && seeky(q)) q.splitCoop = true;
  const { slow, deltaMs } = isSlow(bfqd, q, compensate);
  if (q.wrCoeff === 1 && (slow || (reason === 'budget_timeout' && budgetLeft(q) >= q.entity.budget / 3)))
    chargeTime(bfqd, q, deltaMs);
  if (reason === 'too_idle' && q.entity.service <= (2 * q.entity.budget) / 10) q.ioBound = false;
  if (bfqd.lowLatency && q.wrCoeff === 1) q.lastWrStartFinish = now;
  if (bfqd.lowLatency && q.queued.size === 0) {
    if (q.dispatched === 0) q.softRtNextStart = softrtNextStart(bfqd, q);
    else q.softrtUpdate = true;
  }
  // No total service time to measure any longer for q.
  bfqd.rqsInjected = false;
  bfqd.waitDispatch = false;
  bfqd.waitedRq = null;
  recalcBudget(bfqd, q, reason);
  const empty = q.queued.size === 0;
  stopIdling(bfqd, false);
  if (empty && !(reason === 'preempted' && idlingNeededForGuarantees(bfqd, q))) {
    if (q.dispatched === 0) q.budgetTimeout = now;
    if (q.busy) bfqd.busyCount--;
    q.busy = false;
    expirePath(bfqd, q, false);
  } else expirePath(bfqd, q, true);
  bfqd.inService = null;
  if (!q.busy && reason !== 'budget_timeout' && reason !== 'budget_exhausted') q.nonBlockingWaitRq = true;
  else {
    // The service counter restarts (kept only for a queue that may resume this budget); a queue
    // served by injection before its next slot has that service counted against its budget.
    q.entity.service = 0;
  }
  for (let g: Group | null = q.group; g?.entity; g = g.parent) g.entity.service = 0;
  pruneQueue(bfqd, q);
}

export function selectQueue(bfqd: BfqData): Queue | null {
  for (let guard = 0; guard < 10_000; guard++) {
    let q = bfqd.inService;
    if (!q) {
      q = getNextQueue(bfqd);
      if (!q) return null;
      setInService(bfqd, q);
    }
    if (mayExpireForBudgTimeout(bfqd, q) && !mustIdle(bfqd, q)) {
      expire(bfqd, q, false, 'budget_timeout');
      continue;
    }
    const rq = nextRq(bfqd, q);
    if (rq) {
      if (serviceToCharge(bfqd, q, rq) > budgetLeft(q)) {
        expire(bfqd, q, false, 'budget_exhausted');
        continue;
      }
      if (bfqd.waitRequest) stopIdling(bfqd, true);
      return q;
    }
    // Plugged for q: keep it, but maybe inject another queue's request.
    if (bfqd.waitRequest || (q.dispatched > 0 && betterToIdle(bfqd, q))) return injectionQueue(bfqd, q);
    expire(bfqd, q, false, 'no_more_requests');
  }
  return null;
}

export function uncount(bfqd: BfqData, rq: BlockRequest) {
  const c = (bfqd.counts.get(rq.ctx) ?? 1) - 1;
  if (c === 0) bfqd.counts.delete(rq.ctx);
  else bfqd.counts.set(rq.ctx, c);
  bfqd.totalQueued--;
}

export function createBfq(env: SchedulerEnv, params: TunableValues): BfqScheduler {
  const bfqd = newBfqData(env, params);
  return {
    name: 'bfq',
    blkMq: true,
    insert(rq) {
      const now = bfqd.env.now();
      let q = getQueue(bfqd, rq);
      // Early queue merge (__bfq_insert_request / bfq_allow_bio_merge): the request, and from now on
      // its context, go to the cooperating queue.
      const bic = rq.sync ? (bicOf(bfqd, rq.ctx, rq.group) ?? null) : null;
      const coop = setupCooperator(bfqd, q, rq, bic);
      if (coop) {
        // Only a sync queue has a cooperator, and getQueue left it as its context's bic queue.
        mergeQueues(bfqd, bic as Bic, q, coop);
        q.justCreated = false;
        q = coop;
      }
      // Merging only within the queue (bio merges into a queued request of the same process).
      if (q.queued.size > 0) {
        const i = lowerBound(q.sorted, rq.sector);
        const cands = [q.sorted[i - 1], q.sorted[i], q.sorted[i + 1]];
        for (const c of cands) {
          if (!c) continue;
          const oldSector = c.sector;
          if (tryMerge(c, rq, DEFAULT_MAX_MERGE_SECTORS)) {
            if (c.sector !== oldSector) {
              c.sector = oldSector;
              removeSorted(q, c);
              c.sector = rq.sector;
              addSorted(q, c);
            }
            q.lastRequestPos = Math.max(q.lastRequestPos, endSector(c));
            return;
          }
        }
      }
      // Think time (sampled only when the queue has nothing queued or in flight).
      if (q.queued.size === 0 && q.dispatched === 0 && q.sync) {
        const elapsed = Math.min(now - q.lastEndRequest, 2 * bfqd.sliceIdle);
        q.ttSamples = (7 * q.ttSamples + 256) / 8;
        q.ttTotal = (7 * q.ttTotal + 256 * elapsed) / 8;
        q.ttMean = (q.ttTotal + 128) / q.ttSamples;
        // bfq_update_has_short_ttime: not for the idle class, nor within 2 s of a split (the
        // restored state stands). Since 5.12 ("block, bfq: use half slice_idle as a threshold to
        // check short ttime") the mean is compared with bfq_slice_idle >> 1; 5.10 used slice_idle.
        if (q.cls !== IDLE_IDX && now >= q.splitTime + WR_MIN_IDLE_TIME && bfqd.sliceIdle > 0) {
          const threshold = bfqd.linux510 ? bfqd.sliceIdle : Math.floor(bfqd.sliceIdle / 2);
          const short = !(q.ttSamples > TTIME_VALID_SAMPLES && q.ttMean > threshold);
          const changed = short !== q.hasShortTtime;
          q.hasShortTtime = short;
          // Without a baseline the limit follows the think time (0 short, 1 long); a change to
          // short resets it only ≥ 100 ms after the last decrease (avoids oscillating with a waker).
          if (changed && q.lastServTime === 0 && (now >= q.decreaseTime + INJECT_TTIME_RESET_GAP || !short))
            resetInjectLimit(bfqd, q);
        }
      }
      // Seek history.
      const dist = q.lastRequestPos ? Math.abs(rq.sector - q.lastRequestPos) : 0;
      const rqSeeky = dist > SEEK_THR && (bfqd.rot || rq.sectors < SECT_THR_NONROT);
      q.seekHistory = ((q.seekHistory << 1) | (rqSeeky ? 1 : 0)) >>> 0;
      q.lastRequestPos = endSector(rq);
      // bfq_update_io_seektime (5.2+): a totally seeky soft-rt queue loses soft-rt raising; it ends
      // raising only if the interactive period it interrupted is over, else switches back to it.
      if (q.wrCoeff > 1 && q.wrCurMaxTime === WR_RT_MAX_TIME && popcount(q.seekHistory) === 32) {
        if (now > q.wrStartAtSwitchToSrt + wrDuration(bfqd)) endWr(bfqd, q);
        else switchBackToInteractiveWr(bfqd, q);
      }
      // bfq_add_request: 5.10 looks at a sync queue that had nothing queued; 6.1 at a sync request
      // that is its process's only one queued or in flight (RQ_BIC(rq)->requests <= 1).
      if (bic) bic.requests++;
      if (q.sync && (bfqd.linux510 ? q.queued.size === 0 : (bic?.requests ?? 0) <= 1))
        addToEmptyQueue(bfqd, q);

      q.queued.add(rq);
      q.fifo.push(rq);
      addSorted(q, rq);
      bfqd.rqQueue.set(rq, q);
      bfqd.counts.set(rq.ctx, (bfqd.counts.get(rq.ctx) ?? 0) + 1);
      bfqd.totalQueued++;

      if (!q.busy) idleBusySwitch(bfqd, q, rq);
      else if (q !== bfqd.inService) {
        // bfq_updated_next_req: the budget must cover the (possibly new) next request.
        const next = nextRq(bfqd, q);
        if (next) {
          const nb = Math.max(q.maxBudget, serviceToCharge(bfqd, q, next));
          if (nb !== q.entity.budget && q.entity.where === 'active') {
            q.entity.budget = nb;
            q.entity.F = q.entity.S + nb / q.entity.weight;
          }
        }
      }
      if (
        bfqd.lowLatency &&
        !q.sync &&
        q.busy &&
        q.wrCoeff === 1 &&
        now - q.lastArrival > WR_MIN_INTER_ARR_ASYNC
      ) {
        // Async raising (simplified, see docs): a request reaching the busy, unraised async queue
        // more than 500 ms after its previous arrival raises it like an interactive queue.
        q.wrCoeff = WR_COEFF;
        q.wrCurMaxTime = wrDuration(bfqd);
        q.lastWrStartFinish = now;
        q.serviceFromWr = 0;
        applyWeight(q);
      }
      q.lastArrival = now;
      if (q === bfqd.inService && bfqd.waitRequest) {
        const timedOut = budgetTimedOut(bfqd, q);
        stopIdling(bfqd, true);
        if (timedOut) expire(bfqd, q, false, 'budget_timeout');
      }
    },

    dispatch() {
      if (bfqd.strict && bfqd.inDriver > 0) return null;
      const q = selectQueue(bfqd);
      if (!q) return null;
      const rq = nextRq(bfqd, q);
      if (!rq) return null;
      served(bfqd, q, serviceToCharge(bfqd, q, rq));
      q.queued.delete(rq);
      removeSorted(q, rq);
      if (q.fifoPick === rq) q.fifoPick = null;
      uncount(bfqd, rq);
      updatePeakRate(bfqd, rq);
      q.dispatched++;
      bfqd.inDriver++;
      if (!q.sync || q.coop) q.ctx = rq.ctx;
      if (q === bfqd.inService) {
        bfqd.inServLastPos = endSector(rq);
        if (bfqd.waitDispatch) {
          // The first request after q emptied: its total service time is measured.
          bfqd.waitDispatch = false;
          bfqd.waitedRq = rq;
        }
        updateWrData(bfqd, q);
        // bfq_dispatch_rq_from_bfqq: an idle-class queue is expired after each request while other
        // queues are busy, as if its budget were exhausted.
        if (bfqd.busyCount > 1 && q.cls === IDLE_IDX) expire(bfqd, q, false, 'budget_exhausted');
      } else if (q.queued.size === 0 && q.busy) {
        // bfq_remove_request: a queue emptied by injection leaves the busy list, budget and service reset.
        delBusy(bfqd, q);
        q.entity.budget = 0;
        q.entity.service = 0;
      }
      return rq;
    },

    completed(rq) {
      const q = bfqd.rqQueue.get(rq);
      if (!q) return;
      bfqd.rqQueue.delete(rq);
      const now = bfqd.env.now();
      // bfq_finish_requeue_request: RQ_BIC(rq)->requests--.
      const owner = rq.sync ? bicOf(bfqd, rq.ctx, rq.group) : undefined;
      if (owner) owner.requests--;
      // bfq_finish_requeue_request: the awaited first request updates the inject limit.
      if (rq === bfqd.waitedRq) updateInjectLimit(bfqd, q);
      // bfq_update_hw_tag
      bfqd.maxRqInDriver = Math.max(bfqd.maxRqInDriver, bfqd.inDriver);
      const cur = bfqd.inService;
      const mayStarve =
        cur?.hasShortTtime === true &&
        cur.dispatched + cur.queued.size < HW_QUEUE_THRESHOLD &&
        bfqd.inDriver < HW_QUEUE_THRESHOLD;
      if (
        bfqd.hwTag !== 1 &&
        bfqd.inDriver + bfqd.totalQueued > HW_QUEUE_THRESHOLD &&
        !mayStarve &&
        bfqd.hwTagSamples++ >= HW_QUEUE_SAMPLES
      ) {
        bfqd.hwTag = bfqd.maxRqInDriver > HW_QUEUE_THRESHOLD ? 1 : 0;
        bfqd.maxRqInDriver = 0;
        bfqd.hwTagSamples = 0;
      }
      bfqd.inDriver--;
      q.dispatched--;
      if (q.dispatched === 0 && !q.busy) q.budgetTimeout = now;
      q.lastEndRequest = now;
      // A very slow completion (< 1/1024 sectors/µs for the largest recent request) closes the
      // peak-rate observation interval.
      const deltaUs = (now - bfqd.lastCompletion) / 1000;
      if (deltaUs > MIN_TT / 1000 && bfqd.lastRqMaxSize / deltaUs < 1 / 1024) updateRateReset(bfqd, null);
      bfqd.lastCompletion = now;
      bfqd.lastCompletedQueue = q;
      // soft_rt_next_start is computed for interactive queues too. 5.12–6.1 still skipped them here
      // (only the bfq_bfqq_expire half of 3c337690d2eb was applied); fixed upstream in 6.2 (Kemeng
      // Shi, "do srt filtering for interactive queues in bfq_completed_request"). Followed here: with
      // the 5.x condition a preempted interactive queue keeps a stale soft_rt_next_start and flips
      // to soft-rt (weight ×3000) at each activation, starving other raised queues for seconds.
      if (q.softrtUpdate && q.dispatched === 0 && q.queued.size === 0)
        q.softRtNextStart = softrtNextStart(bfqd, q);
      if (q === bfqd.inService) {
        if (mustIdle(bfqd, q)) {
          if (q.dispatched === 0 && !bfqd.waitRequest) armIdleTimer(bfqd, q);
          // bfq_completed_request returns here: no dispatch is scheduled while q is idled for.
          pruneQueue(bfqd, q);
          return;
        }
        if (mayExpireForBudgTimeout(bfqd, q)) expire(bfqd, q, false, 'budget_timeout');
        else if (q.queued.size === 0 && (q.dispatched === 0 || !betterToIdle(bfqd, q)))
          expire(bfqd, q, false, 'no_more_requests');
      }
      pruneQueue(bfqd, q);
      // bfq_completed_request → bfq_schedule_dispatch: with nothing left in the driver, run the queue.
      if (bfqd.inDriver === 0 && bfqd.totalQueued > 0) bfqd.env.kick();
    },

    queued() {
      return bfqd.totalQueued;
    },

    hwTag() {
      return bfqd.hwTag;
    },

    queueLengths() {
      return bfqd.counts;
    },

    injectStats() {
      return {
        ...bfqd.injected,
        queue(ctx: number, group = 0) {
          const q = bicOf(bfqd, ctx, group)?.queue;
          if (!q) return null;
          const ctxOf = (x: Queue) => x.bic?.ctx ?? x.ctx;
          return {
            injectLimit: q.injectLimit,
            lastServTimeNs: q.lastServTime,
            hasShortTtime: q.hasShortTtime,
            wakerCtx: q.waker ? ctxOf(q.waker) : -1,
            hasWaker: q.hasWaker,
            woken: [...q.woken].map(ctxOf).sort((a, b) => a - b),
          };
        },
      };
    },

    mergeStats() {
      return {
        merges: bfqd.mergeCount,
        splits: bfqd.splitCount,
        firstMergeAt: bfqd.firstMergeAt,
        sharing(ctx: number, group = 0) {
          const q = bicOf(bfqd, ctx, group)?.queue;
          if (!q) return [];
          const out: number[] = [];
          for (const b of bfqd.bics.values()) if (b.queue === q) out.push(b.ctx);
          return out.sort((a, b) => a - b);
        },
      };
    },
  };
}
