/**
 * CFQ's request and dispatch core (block/cfq-iosched.c, Linux 4.19): cfq_init_queue (newCfqData),
 * cfq_insert_request / cfq_rq_enqueued (insert, enqueued), cfq_dispatch_requests /
 * cfq_dispatch_request / cfq_may_dispatch / cfq_check_fifo (dispatch, dispatchRequest,
 * mayDispatch, checkFifo), cfq_select_queue (selectQueue), cfq_completed_request and
 * cfq_update_hw_tag (completed, updateHwTag), cfq_should_preempt / cfq_preempt_queue,
 * cfq_choose_req / cfq_find_next_rq / cfq_add_rq_rb / cfq_remove_request (the sector-sorted set),
 * cfq_merge_requests, cfq_get_queue / cfq_init_cfqq / cfq_async_queue_prio (newQueue, asyncQueue)
 * and cfq_set_request (setRequest). Service trees, groups, slices and idling, and close
 * cooperators are in their own modules; see docs/schedulers/cfq.md.
 */
import type { TunableValues } from '../../../common/spec/tunables';
import type { TimerHandle } from '../../core/sim';
import { MS, timeField } from '../../core/time';
import { type BlockRequest, DEFAULT_MAX_MERGE_SECTORS, endSector, tryMerge } from '../../io/request';
import { firstIsCloser } from '../choose-req';
import { asyncQueueKey, queueIoprio } from '../ioprio';
import type { SchedulerEnv } from '../types';
import { find, insertAt, removeItem } from './array';
import {
  closeCooperator,
  mergeCfqqs,
  prioTreeAdd,
  prioTreeRemove,
  setupMerge,
  splitCfqq,
} from './cooperator';
import { chooseGroup, getGroup } from './group';
import { addCfqqRr, qType, serviceTreeAdd, stFor } from './service-tree';
import {
  armSliceTimer,
  delTimer,
  endIdleTrace,
  onIdleTimer,
  prioToMaxRq,
  scaledSlice,
  setActive,
  shouldIdle,
  sliceExpired,
  sliceUsed,
  timerPending,
  ttimeBig,
  updateIdleWindow,
  updateTtime,
} from './slice';
import {
  ASYNC,
  BE_WL,
  type CfqData,
  type Cfqq,
  type CfqScheduler,
  type Cic,
  CLASS_NAMES,
  CLOSE_THR,
  type CRq,
  type Group,
  HW_QUEUE_MIN,
  IDLE_WL,
  IOPRIO_BE_NR,
  JIFFY,
  newTtime,
  PAGE_BYTES,
  RT_WL,
  SECT_THR_NONROT,
  SEEK_THR,
  SYNC,
  SYNC_NOIDLE,
  sampleValid,
  seeky,
  WL_CLASS,
  type WlClass,
  type WlType,
} from './types';

/** cfq_init_queue / cfq_registered_queue: the tunables (sysfs defaults) and a fresh struct cfq_data. */
export function newCfqData(env: SchedulerEnv, params: TunableValues): CfqData {
  const num = (k: string, d: number) => params[k] ?? d;
  const quantum = Math.max(1, Math.round(num('quantum', 8)));
  const fifoExpire = [
    Math.round(num('fifo_expire_async_ms', 250) * MS),
    Math.round(num('fifo_expire_sync_ms', 125) * MS),
  ];
  const backMax = num('back_seek_max_kb', 16384) * 2; // sectors
  const backPenalty = num('back_seek_penalty', 2);
  const sliceSync = Math.round(num('slice_sync_ms', 100) * MS);
  const sliceAsync = Math.round(num('slice_async_ms', 40) * MS);
  const sliceAsyncRq = num('slice_async_rq', 2);
  // cfq_registered_queue(): a non-rotational queue gets slice_idle = 0.
  const sliceIdle = env.rotational ? Math.round(num('slice_idle_ms', 8) * MS) : 0;
  const groupIdle = Math.round(num('group_idle_ms', 8) * MS);
  const lowLatency = num('low_latency', 1) !== 0;
  const targetLatency = Math.round(num('target_latency_ms', 300) * MS);
  const nonrot = !env.rotational;
  const active: Cfqq | null = null;
  const activeCic: Cic | null = null;
  const servingGroup: Group | null = null;
  const servingClass: WlClass = BE_WL;
  const servingType: WlType = SYNC;
  // Times start as doubles (timeField): see core/time.ts.
  const workloadExpires = timeField(0);
  const busyQueues = 0;
  const busySyncQueues = 0;
  const rqQueued = 0;
  const rqInDriver = 0;
  const rqInFlight = [0, 0];
  // hw_tag starts at −1, "unknown", which every test of it (iops_mode, cfq_should_idle,
  // cfq_arm_slice_timer) takes as true; cfq_update_hw_tag decides it only after 50 samples taken
  // with more than CFQ_HW_QUEUE_MIN requests queued or in the driver (cfq_init_queue, 4.19).
  const hwTag = -1;
  const hwTagEstDepth = 0;
  const hwTagSamples = 0;
  const lastPosition = 0;
  const lastDelayedSync = timeField(env.now() - 1000 * MS);
  const idleTimer: TimerHandle | null = null;
  const idleTraceCtx: number | null = null;
  const lastTraced = -2;
  const groups = new Map<number, Group>();
  const groupTree: Group[] = [];
  const minVdisktime = timeField(0);
  const cics = new Map<number, Cic>();
  const asyncQueues = new Map<string, Cfqq>();
  const driver: CRq[] = [];
  const lengths = new Map<number, number>();
  const nextQid = 1;
  /**
   * cfqd->prio_trees: per priority, the busy queues with a next request, ordered by its start
   * sector (an rbtree in the kernel, a sorted array here; see prioTreeLookup).
   */
  const prioTrees: Cfqq[][] = Array.from({ length: IOPRIO_BE_NR }, () => []);
  const coopSwitches = 0;
  const mergesScheduled = 0;
  const merges = 0;
  const splits = 0;
  const cfqd: CfqData = {
    env,
    params,
    quantum,
    fifoExpire,
    backMax,
    backPenalty,
    sliceSync,
    sliceAsync,
    sliceAsyncRq,
    sliceIdle,
    groupIdle,
    lowLatency,
    targetLatency,
    nonrot,
    active,
    activeCic,
    servingGroup,
    servingClass,
    servingType,
    workloadExpires,
    busyQueues,
    busySyncQueues,
    rqQueued,
    rqInDriver,
    rqInFlight,
    hwTag,
    hwTagEstDepth,
    hwTagSamples,
    lastPosition,
    lastDelayedSync,
    idleTimer,
    idleTimerHandle: null,
    onIdleTimer: () => onIdleTimer(cfqd),
    idleTraceCtx,
    lastTraced,
    groups,
    groupTree,
    minVdisktime,
    cics,
    asyncQueues,
    driver,
    lengths,
    nextQid,
    prioTrees,
    coopSwitches,
    mergesScheduled,
    merges,
    splits,
  };
  return cfqd;
}

/**
 * The current time (ns). CFQ's own code reads `cfqd.env.clock.now` in place rather than through
 * this helper: a field read where the time is used keeps V8's type feedback for time arithmetic
 * floating-point from the start (a returned time may come back as a small integer), so compiled
 * CFQ functions are not thrown away when times pass 2^31 ns, 2.1 s into a run.
 */
export function now(cfqd: CfqData) {
  return cfqd.env.clock.now;
}

export function getCic(cfqd: CfqData, ctx: number): Cic {
  let c = cfqd.cics.get(ctx);
  if (!c) {
    c = { ctx, ttime: newTtime(cfqd.env.clock.now), syncQ: null, queued: 0 };
    cfqd.cics.set(ctx, c);
  }
  return c;
}

export function newQueue(
  cfqd: CfqData,
  ctx: number,
  sync: boolean,
  cls: WlClass,
  prio: number,
  group: Group,
): Cfqq {
  const q: Cfqq = {
    id: cfqd.nextQid++,
    ctx,
    sync,
    cls,
    prio,
    group,
    sorted: [],
    fifo: [],
    nextRq: null,
    dispatched: 0,
    onRr: false,
    st: null,
    // Times start as doubles (timeField): see core/time.ts.
    rbKey: timeField(0),
    sliceStart: timeField(-1),
    sliceEnd: timeField(0),
    allocatedSlice: 0,
    dispatchStart: timeField(0),
    sliceDispatch: 0,
    sliceResid: 0,
    seekHistory: 0,
    lastRequestPos: 0,
    waitRequest: false,
    mustDispatch: false,
    fifoExpire: false,
    // cfq_init_cfqq(): sync queues start with the idle window enabled; cfq_init_prio_data()
    // clears it for the idle class.
    idleWindow: sync && cls !== IDLE_WL,
    sliceNew: false,
    deep: false,
    waitBusy: false,
    inPrioTree: false,
    newCfqq: null,
    procRefs: 0,
    coop: false,
    splitCoop: false,
  };
  return q;
}

/** cfq_async_queue_prio(): async queues shared per group, by class and level (one for idle). */
export function asyncQueue(cfqd: CfqData, rq: BlockRequest): Cfqq {
  const { cls, level } = queueIoprio(cfqd.env.contextInfo(rq.ctx));
  const key = asyncQueueKey(rq.group, cls, level);
  let q = cfqd.asyncQueues.get(key);
  if (!q) {
    q = newQueue(cfqd, -1, false, WL_CLASS[cls], level, getGroup(cfqd, rq.group));
    cfqd.asyncQueues.set(key, q);
  }
  return q;
}

/** The queue a bio of this context may merge into (cfq_find_rq_fmerge / cfq_allow_bio_merge). */
export function mergeQueue(cfqd: CfqData, rq: BlockRequest): Cfqq | null {
  return rq.sync ? getCic(cfqd, rq.ctx).syncQ : asyncQueue(cfqd, rq);
}

/** cfq_set_request(): the queue a newly allocated request of this context (`cic`) goes to. */
export function setRequest(cfqd: CfqData, rq: BlockRequest, cic: Cic): Cfqq {
  if (!rq.sync) return asyncQueue(cfqd, rq);
  for (;;) {
    let q = cic.syncQ;
    if (!q) {
      // cfq_get_queue() / cfq_init_cfqq(): a fresh queue (seek history, flags, idle window).
      const { cls, level } = queueIoprio(cfqd.env.contextInfo(rq.ctx));
      q = newQueue(cfqd, rq.ctx, true, WL_CLASS[cls], level, getGroup(cfqd, rq.group));
      q.procRefs = 1;
      cic.syncQ = q;
      return q;
    }
    if (q.coop && q.splitCoop) {
      q = splitCfqq(cfqd, cic, q);
      if (!q) continue;
    }
    if (q.newCfqq) q = mergeCfqqs(cfqd, cic, q);
    return q;
  }
}

// A shared (coop) queue reports the context of its next request, as an async queue does.
export function traceCtx(q: Cfqq): number {
  return q.sync && !q.coop ? q.ctx : (q.nextRq?.rq.ctx ?? q.sorted[0]?.rq.ctx ?? q.ctx);
}

export function getNextQueue(cfqd: CfqData): Cfqq | null {
  if (!cfqd.rqQueued || !cfqd.servingGroup) return null;
  return stFor(cfqd.servingGroup, cfqd.servingClass, cfqd.servingType).q[0] ?? null;
}

export function selectQueue(cfqd: CfqData): Cfqq | null {
  const q = cfqd.active;
  const t = cfqd.env.clock.now;
  if (q) {
    if (!cfqd.rqQueued) return null;
    let checkGroupIdle = true;
    if (q.waitBusy && q.sorted.length) checkGroupIdle = false;
    else if (sliceUsed(cfqd, q) && !q.mustDispatch) {
      if (q.group.nrCfqq === 1 && !q.sorted.length && q.dispatched && shouldIdle(cfqd, q)) return null;
    } else {
      if (q.sorted.length) return q;
      // A queue with a request close to where this one left off gets the disk at once (it
      // keeps its place in its service tree; no new group / workload is chosen), and the two
      // are set up to merge.
      const coop = closeCooperator(cfqd, q);
      if (coop) {
        if (!q.newCfqq) setupMerge(cfqd, q, coop);
        sliceExpired(cfqd, false);
        cfqd.coopSwitches++;
        return setActive(cfqd, coop);
      }
      if (timerPending(cfqd)) return null;
      if (seeky(q) && q.idleWindow && (q.sliceNew || q.sliceEnd - t > t - q.sliceStart)) {
        q.deep = false;
        q.idleWindow = false;
      }
      if (q.dispatched && shouldIdle(cfqd, q)) return null;
    }
    if (
      checkGroupIdle &&
      cfqd.groupIdle &&
      q.group.nrCfqq === 1 &&
      q.group.dispatched &&
      !ttimeBig(cfqd, q.group.ttime, true)
    )
      return null;
    sliceExpired(cfqd, false);
  }
  chooseGroup(cfqd);
  return setActive(cfqd, getNextQueue(cfqd));
}

export function chooseReq(cfqd: CfqData, a: CRq | null, b: CRq | null, last: number): CRq | null {
  if (!a || a === b) return b;
  if (!b) return a;
  if (a.rq.sync !== b.rq.sync) return a.rq.sync ? a : b;
  return firstIsCloser(a.rq.sector, b.rq.sector, last, cfqd.backMax, cfqd.backPenalty) ? a : b;
}

export function findNextRq(cfqd: CfqData, q: Cfqq, last: CRq): CRq | null {
  const i = find(q.sorted, last);
  const prev = i > 0 ? q.sorted[i - 1] : null;
  let next: CRq | null = i + 1 < q.sorted.length ? q.sorted[i + 1] : null;
  if (!next && q.sorted[0] && q.sorted[0] !== last) next = q.sorted[0];
  return chooseReq(cfqd, next, prev, last.rq.sector);
}

export function sortedInsert(q: Cfqq, c: CRq) {
  let lo = 0;
  let hi = q.sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (q.sorted[mid].rq.sector <= c.rq.sector) lo = mid + 1;
    else hi = mid;
  }
  insertAt(q.sorted, lo, c);
}

/** cfq_remove_request(): take a queued request out of its queue. */
export function removeRequest(cfqd: CfqData, c: CRq) {
  const q = c.q;
  if (q.nextRq === c) q.nextRq = findNextRq(cfqd, q, c);
  removeItem(q.sorted, c);
  // cfq_del_rq_rb(): an emptied queue leaves the prio tree now, the service tree at expiry.
  if (q.onRr && q.sorted.length === 0) prioTreeRemove(cfqd, q);
  removeItem(q.fifo, c);
  cfqd.rqQueued--;
  c.cic.queued--;
}

/** Merge `rq` into a queued request of the same cfq queue (cfq_merge / attempt_*_merge). */
export function tryMergeInto(cfqd: CfqData, q: Cfqq, rq: BlockRequest): boolean {
  const end = endSector(rq);
  for (let i = 0; i < q.sorted.length; i++) {
    const c = q.sorted[i];
    if (endSector(c.rq) === rq.sector && tryMerge(c.rq, rq, DEFAULT_MAX_MERGE_SECTORS) === 'back') {
      // attempt_back_merge(): the grown request may now reach its successor.
      const nx = q.sorted[i + 1];
      if (nx && endSector(c.rq) === nx.rq.sector) mergeRequests(cfqd, c, nx);
      return true;
    }
    if (c.rq.sector === end && tryMerge(c.rq, rq, DEFAULT_MAX_MERGE_SECTORS) === 'front') {
      const pv = q.sorted[i - 1];
      if (pv && endSector(pv.rq) === c.rq.sector) mergeRequests(cfqd, pv, c);
      return true;
    }
  }
  return false;
}

/** cfq_merged_requests(): `b` (adjacent after `a`) is folded into `a`. */
export function mergeRequests(cfqd: CfqData, a: CRq, b: CRq) {
  if (tryMerge(a.rq, b.rq, DEFAULT_MAX_MERGE_SECTORS) !== 'back') return;
  if (b.fifoTime < a.fifoTime) {
    // `a` takes `b`'s place (and expiry time) in the fifo.
    const fifo = a.q.fifo;
    removeItem(fifo, a);
    const ib = find(fifo, b);
    if (ib >= 0) fifo[ib] = a;
    a.fifoTime = b.fifoTime;
  }
  if (a.q.nextRq === b) a.q.nextRq = a;
  removeRequest(cfqd, b);
}

export function updateHwTag(cfqd: CfqData) {
  const q = cfqd.active;
  if (cfqd.rqInDriver > cfqd.hwTagEstDepth) cfqd.hwTagEstDepth = cfqd.rqInDriver;
  if (cfqd.hwTag === 1) return;
  if (cfqd.rqQueued <= HW_QUEUE_MIN && cfqd.rqInDriver <= HW_QUEUE_MIN) return;
  if (q?.idleWindow && q.dispatched + q.sorted.length < HW_QUEUE_MIN && cfqd.rqInDriver < HW_QUEUE_MIN)
    return;
  if (cfqd.hwTagSamples++ < 50) return;
  cfqd.hwTag = cfqd.hwTagEstDepth >= HW_QUEUE_MIN ? 1 : 0;
}

export function shouldPreempt(cfqd: CfqData, n: Cfqq, rq: BlockRequest): boolean {
  const q = cfqd.active;
  if (!q) return false;
  // An idle-class queue never preempts; anything preempts one.
  if (n.cls === IDLE_WL) return false;
  if (q.cls === IDLE_WL) return true;
  // Don't allow a non-RT request to preempt an ongoing RT timeslice.
  if (q.cls === RT_WL && n.cls !== RT_WL) return false;
  if (rq.sync && !q.sync && !q.mustDispatch) return true;
  // cfqg_is_descendant(active group, n's group)
  let g: Group | null = q.group;
  while (g && g !== n.group) g = g.parent;
  if (!g) return false;
  if (sliceUsed(cfqd, q)) return true;
  // Allow an RT request to preempt an ongoing non-RT timeslice.
  if (n.cls === RT_WL && q.cls !== RT_WL) return true;
  if (cfqd.servingType === SYNC_NOIDLE && qType(n) === SYNC_NOIDLE && !q.sorted.length) return true;
  if (!q.sorted.length && !shouldIdle(cfqd, q)) return true;
  if (!cfqd.activeCic || !q.waitRequest) return false;
  return Math.abs(rq.sector - cfqd.lastPosition) <= CLOSE_THR;
}

export function preemptQueue(cfqd: CfqData, n: Cfqq) {
  const oldType = cfqd.active ? qType(cfqd.active) : qType(n);
  sliceExpired(cfqd, true);
  if (oldType !== qType(n)) n.group.savedWlSlice = 0;
  if (!n.onRr) return;
  serviceTreeAdd(cfqd, n, true);
  n.sliceEnd = 0;
  n.sliceNew = true;
}

export function mayDispatch(cfqd: CfqData, q: Cfqq): boolean {
  if (q.mustDispatch) return true;
  if (shouldIdle(cfqd, q) && cfqd.rqInFlight[0]) return false;
  if (cfqd.rqInFlight[1] && !q.sync) return false;
  let max = Math.max(Math.floor(cfqd.quantum / 2), 1);
  if (q.cls === IDLE_WL) max = 1;
  if (q.dispatched >= max) {
    // An idle-class queue must only ever have a single request in flight.
    if (q.cls === IDLE_WL) return false;
    const promote = q.sync && cfqd.busySyncQueues === 1;
    const t = cfqd.env.clock.now;
    const usedSoon = q.sliceNew || t + cfqd.sliceIdle * q.dispatched > q.sliceEnd;
    if (cfqd.busyQueues > 1 && usedSoon && !promote) return false;
    max = cfqd.busyQueues === 1 || promote ? Number.POSITIVE_INFINITY : cfqd.quantum;
  }
  if (!q.sync && cfqd.lowLatency) {
    let depth = Math.floor((cfqd.env.clock.now - cfqd.lastDelayedSync) / cfqd.sliceSync);
    if (!depth && !q.dispatched) depth = 1;
    if (depth < max) max = depth;
  }
  return q.dispatched < max;
}

export function checkFifo(cfqd: CfqData, q: Cfqq): CRq | null {
  if (q.fifoExpire) return null;
  q.fifoExpire = true;
  const head = q.fifo[0];
  if (!head) return null;
  return cfqd.env.clock.now < head.fifoTime ? null : head;
}

export function dispatchRequest(cfqd: CfqData, q: Cfqq): CRq | null {
  let c = checkFifo(cfqd, q);
  if (c) q.mustDispatch = true;
  if (!mayDispatch(cfqd, q)) return null;
  if (!c) c = q.nextRq;
  if (!c) return null;
  // cfq_dispatch_insert()
  q.nextRq = findNextRq(cfqd, q, c);
  if (q.nextRq === c) q.nextRq = null;
  removeRequest(cfqd, c);
  q.dispatched++;
  q.group.dispatched++;
  cfqd.rqInFlight[q.sync ? 1 : 0]++;
  cfqd.rqInDriver++;
  cfqd.lastPosition = endSector(c.rq);
  if (!cfqd.activeCic) cfqd.activeCic = c.cic;
  cfqd.driver.push(c);
  return c;
}

export function enqueued(cfqd: CfqData, q: Cfqq, c: CRq) {
  const rq = c.rq;
  cfqd.rqQueued++;
  const cic = c.cic;
  // cfq_update_io_thinktime()
  if (q.sync) {
    updateTtime(cfqd, cic.ttime, cfqd.sliceIdle);
    if (q.st) updateTtime(cfqd, q.st.ttime, cfqd.sliceIdle);
  }
  updateTtime(cfqd, q.group.ttime, cfqd.groupIdle);
  // cfq_update_io_seektime()
  let sdist = 0;
  if (q.lastRequestPos) sdist = Math.abs(rq.sector - q.lastRequestPos);
  q.seekHistory =
    ((q.seekHistory << 1) |
      (cfqd.nonrot ? (rq.sectors < SECT_THR_NONROT ? 1 : 0) : sdist > SEEK_THR ? 1 : 0)) >>>
    0;
  updateIdleWindow(cfqd, q, cic);
  q.lastRequestPos = rq.sector + rq.sectors;

  if (q === cfqd.active) {
    if (q.waitRequest) {
      endIdleTrace(cfqd, true);
      if (rq.sectors * 512 > PAGE_BYTES || cfqd.busyQueues > 1) {
        delTimer(cfqd);
        q.waitRequest = false;
        cfqd.env.kick();
      } else q.mustDispatch = true;
    }
  } else if (shouldPreempt(cfqd, q, rq)) {
    preemptQueue(cfqd, q);
    cfqd.env.kick();
  }
}

export function createCfq(env: SchedulerEnv, params: TunableValues): CfqScheduler {
  const cfqd = newCfqData(env, params);
  // The entries of completed requests, for reuse: once a request completed nothing refers to its
  // entry (it left the sorted list, fifo and next_rq at dispatch, the driver list at completion).
  const spare: CRq[] = [];
  return {
    name: 'cfq',
    insert(rq) {
      // mergeQueue() with one io-context lookup: a sync request's context is looked up (and
      // made) before the merge attempt either way, an async one's only when it does not merge.
      let cic = rq.sync ? getCic(cfqd, rq.ctx) : null;
      const mq = cic !== null ? cic.syncQ : asyncQueue(cfqd, rq);
      if (mq && tryMergeInto(cfqd, mq, rq)) return;
      if (cic === null) cic = getCic(cfqd, rq.ctx);
      const q = setRequest(cfqd, rq, cic);
      const fifoTime = cfqd.env.clock.now + cfqd.fifoExpire[rq.sync ? 1 : 0];
      let c = spare.pop();
      if (c === undefined) c = { rq, q, cic, fifoTime: timeField(fifoTime) };
      else {
        c.rq = rq;
        c.q = q;
        c.cic = cic;
        c.fifoTime = fifoTime;
      }
      q.fifo.push(c);
      sortedInsert(q, c);
      cic.queued++;
      if (!q.onRr) addCfqqRr(cfqd, q);
      const prev = q.nextRq;
      q.nextRq = chooseReq(cfqd, q.nextRq, c, cfqd.lastPosition);
      if (prev !== q.nextRq) prioTreeAdd(cfqd, q);
      enqueued(cfqd, q, c);
    },
    dispatch() {
      if (!cfqd.busyQueues) return null;
      const q = selectQueue(cfqd);
      if (!q) return null;
      const c = dispatchRequest(cfqd, q);
      if (!c) return null;
      q.sliceDispatch++;
      q.mustDispatch = false;
      // An async queue expires once it used up its slice; an idle-class queue after each round.
      if (
        cfqd.busyQueues > 1 &&
        ((!q.sync && q.sliceDispatch >= prioToMaxRq(cfqd, q)) || q.cls === IDLE_WL)
      ) {
        q.sliceEnd = cfqd.env.clock.now + 1;
        sliceExpired(cfqd, false);
      }
      return c.rq;
    },
    completed(rq) {
      // The request's entry among those in the driver (few: at most the device's queue depth).
      const driver = cfqd.driver;
      let i = driver.length - 1;
      while (i >= 0 && driver[i].rq !== rq) i--;
      if (i < 0) return;
      const c = driver[i];
      driver[i] = driver[driver.length - 1];
      driver.pop();
      const q = c.q;
      const t = cfqd.env.clock.now;
      updateHwTag(cfqd);
      cfqd.rqInDriver--;
      q.dispatched--;
      q.group.dispatched--;
      cfqd.rqInFlight[q.sync ? 1 : 0]--;
      if (rq.sync) {
        c.cic.ttime.lastEnd = t;
        (q.onRr && q.st ? q.st : stFor(q.group, q.cls, qType(q))).ttime.lastEnd = t;
        if (rq.insertedAt + cfqd.fifoExpire[1] <= t) cfqd.lastDelayedSync = t;
      }
      q.group.ttime.lastEnd = t;
      if (cfqd.active === q) {
        const empty = q.sorted.length === 0;
        if (q.sliceNew) {
          const slice = scaledSlice(cfqd, q);
          q.sliceStart = t;
          q.sliceEnd = t + slice;
          q.allocatedSlice = slice;
          q.sliceNew = false;
        }
        // cfq_should_wait_busy()
        if (empty && q.group.nrCfqq <= 1 && !ttimeBig(cfqd, q.group.ttime, true)) {
          const cic = cfqd.activeCic;
          if (
            sliceUsed(cfqd, q) ||
            (cic && sampleValid(cic.ttime) && q.sliceEnd - t < cic.ttime.mean) ||
            q.sliceEnd - t <= JIFFY
          ) {
            q.sliceEnd = t + (cfqd.sliceIdle ? cfqd.sliceIdle : cfqd.groupIdle);
            q.waitBusy = true;
          }
        }
        // No idling for idle-class queues: they expire at each completion.
        if (sliceUsed(cfqd, q) || q.cls === IDLE_WL) sliceExpired(cfqd, true);
        // No idling when a close cooperator can take over (cfq_close_cooperator).
        else if (rq.sync && empty && !closeCooperator(cfqd, q)) armSliceTimer(cfqd);
      }
      if (!cfqd.rqInDriver) cfqd.env.kick();
      spare.push(c);
    },
    queued() {
      return cfqd.rqQueued;
    },
    queueLengths() {
      // Counted per context as requests enter and leave the queues (cic.queued), gathered here.
      const m = cfqd.lengths;
      m.clear();
      for (const cic of cfqd.cics.values()) if (cic.queued > 0) m.set(cic.ctx, cic.queued);
      return m;
    },
    inspect(ctx) {
      const cic = cfqd.cics.get(ctx);
      const q = cic?.syncQ;
      if (!cic || !q) return undefined;
      const type = qType(q);
      const mergedWith: number[] = [];
      for (const c of cfqd.cics.values()) if (c.syncQ === q) mergedWith.push(c.ctx);
      mergedWith.sort((a, b) => a - b);
      return {
        idleWindow: q.idleWindow,
        seeky: seeky(q),
        deep: q.deep,
        workload: type === ASYNC ? 'async' : type === SYNC_NOIDLE ? 'sync-noidle' : 'sync',
        ioprioClass: CLASS_NAMES[q.cls],
        thinkTimeNs: cic.ttime.mean,
        thinkTimeValid: sampleValid(cic.ttime),
        queued: q.sorted.length,
        queueId: q.id,
        coop: q.coop,
        splitCoop: q.splitCoop,
        mergeTarget: q.newCfqq ? q.newCfqq.id : -1,
        mergedWith,
      };
    },
    coopStats() {
      return {
        cooperatorSwitches: cfqd.coopSwitches,
        mergesScheduled: cfqd.mergesScheduled,
        merges: cfqd.merges,
        splits: cfqd.splits,
      };
    },
    groupServiceNs() {
      const m = new Map<number, number>();
      for (const g of cfqd.groups.values()) m.set(g.id, g.busyTime);
      return m;
    },
    hwTag() {
      return cfqd.hwTag;
    },
  };
}
