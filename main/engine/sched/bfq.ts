/**
 * BFQ, the Budget Fair Queueing I/O scheduler (block/bfq-iosched.c, bfq-wf2q.c, bfq-cgroup.c),
 * modelled on Linux 5.10–5.15 behaviour. See docs/schedulers/bfq.md for what is modelled and
 * what is simplified.
 *
 * Structure (names follow the kernel):
 *   - one bfq_queue per context (sync) and one shared async queue per (group, class, ioprio);
 *   - entities (queues and groups) scheduled by B-WF2Q+ in per-group service trees, one per I/O
 *     priority class (RT, BE, IDLE) served in strict priority except that the IDLE tree gets one
 *     pick if it has not been looked at for BFQ_CL_IDLE_TIMEOUT (bfq_lookup_next_entity); virtual
 *     time in sectors/weight per tree; a group is an entity in its parent's BE tree;
 *   - one in-service queue owns the device until its budget is exhausted, its budget timeout
 *     fires, it runs dry without deserving idling, its idle timer fires, or it is preempted;
 *   - budgets (max_budget auto-tuned from a peak-rate estimator), budget feedback, time charging of
 *     slow/seeky queues, idling (slice_idle) for throughput or service guarantees, weight raising
 *     (low_latency: interactive and soft real-time);
 *   - early queue merging (EQM) of cooperating sync queues doing interleaved I/O close together, and
 *     splitting of a shared queue that turned seeky (bfq_setup_cooperator, bfq_merge_bfqqs,
 *     bfq_split_bfqq), as in 5.10–5.13 (no 5.14+ stable merge);
 *   - I/O injection while the in-service queue is plugged (bfq_select_queue: the process's async
 *     queue, the waker queue, bfq_choose_bfqq_for_injection under the adaptive inject_limit of
 *     bfq_update_inject_limit / bfq_reset_inject_limit) and waker detection (bfq_add_request), as
 *     in 5.10 with the 5.12 fix of the waker test.
 */
import type { TunableValues } from '../../common/spec/tunables';
import type { TimerHandle } from '../core/sim';
import { MS, SEC } from '../core/time';
import { type BlockRequest, DEFAULT_MAX_MERGE_SECTORS, endSector, tryMerge } from '../io/request';
import { firstIsCloser } from './choose-req';
import { asyncQueueKey, queueIoprio } from './ioprio';
import type { IoprioClass, IoScheduler, SchedulerEnv } from './types';

type Reason = 'budget_exhausted' | 'budget_timeout' | 'no_more_requests' | 'too_idle' | 'preempted';

// ---- constants (bfq-iosched.c / bfq-iosched.h) ----
const DEFAULT_MAX_BUDGET = 16 * 1024; // bfq_default_max_budget, sectors
const STATS_MIN_BUDGETS = 194; // bfq_stats_min_budgets
const SEEK_THR = 800; // BFQQ_SEEK_THR, sectors
const SECT_THR_NONROT = 64; // BFQQ_SECT_THR_NONROT
const SEEKY_BITS = 19; // BFQQ_SEEKY: hweight32(seek_history) > 32/2 + 3
const MIN_TT = 2 * MS; // BFQ_MIN_TT
const ASYNC_CHARGE_FACTOR = 3;
const HW_QUEUE_THRESHOLD = 3;
const HW_QUEUE_SAMPLES = 32;
const TTIME_VALID_SAMPLES = 80; // bfq_sample_valid
const REQUESTS_WITHIN_TIMER = 120;
// Peak rate estimator (rates in sectors/µs, as the kernel's fixed point without the shift).
const RATE_MIN_SAMPLES = 32;
const RATE_MIN_INTERVAL = 300 * MS;
const RATE_REF_INTERVAL = SEC;
const RATE_MAX = 20; // 20 sectors/µs = 20 M sectors/s
/** ref_rate (5.x: {14000, 33000} << 16 sectors/µs): HDD ≈ 109 MB/s, SSD ≈ 258 MB/s. */
const REF_RATE = { rot: 14000 / 65536, nonrot: 33000 / 65536 };
const REF_WR_DURATION = { rot: 7000 * MS, nonrot: 2500 * MS };
// Weight raising.
const WR_COEFF = 30;
const WR_RT_COEFF = WR_COEFF * 100;
const WR_RT_MAX_TIME = 300 * MS;
const WR_MIN_IDLE_TIME = 2 * SEC;
const WR_MIN_INTER_ARR_ASYNC = 500 * MS;
const WR_MAX_SOFTRT_RATE = 7000; // sectors/s
const MAX_SERVICE_FROM_WR = 120_000;
const JIFFY = MS; // HZ = 1000
// Large burst detection.
const BURST_INTERVAL = 180 * MS;
const LARGE_BURST_THRESH = 8;
// Early queue merging.
const CLOSE_THR = 8 * 1024; // BFQQ_CLOSE_THR, sectors
const MERGE_TIME_LIMIT = 100 * MS; // bfq_merge_time_limit = HZ/10
// Injection (5.10).
const WAKER_WINDOW = 200_000; // 200 µs: a completion this close before Q's arrival may have woken Q
const INJECT_RESET_PERIOD = SEC; // bfq_add_request: bfq_reset_inject_limit every second
const INJECT_SAMPLE_MIN_GAP = 10 * MS; // minimum time after a decrease before sampling again
const INJECT_TTIME_RESET_GAP = 100 * MS; // bfq_update_has_short_ttime
// I/O priority classes, as bfq_class_idx (ioprio_class − 1): service tree index and strict order.
const RT_IDX = 0;
const BE_IDX = 1;
const IDLE_IDX = 2;
type ClassIdx = 0 | 1 | 2;
const CLASS_IDX: Readonly<Record<IoprioClass, ClassIdx>> = { rt: RT_IDX, be: BE_IDX, idle: IDLE_IDX };
const CL_IDLE_TIMEOUT = 200 * MS; // BFQ_CL_IDLE_TIMEOUT = HZ / 5

/** struct bfq_service_tree: one class's active and idle entities and its virtual time. */
interface ServiceTree {
  vtime: number;
  wsum: number;
  active: Set<Entity>;
  idle: Set<Entity>;
}

/** struct bfq_sched_data: a group's three class trees and its in-service child. */
interface Sched {
  readonly st: [ServiceTree, ServiceTree, ServiceTree];
  inService: Entity | null;
  /** bfq_class_idle_last_service: last time the IDLE tree's turn came up. */
  idleLastService: number;
}

interface Entity {
  weight: number;
  S: number;
  F: number;
  budget: number;
  service: number;
  /** The service tree the entity lives in (its parent group's tree of its class). */
  tree: ServiceTree;
  /** Its parent group's scheduling data (entity->sched_data). */
  sd: Sched;
  where: 'active' | 'idle' | 'none';
  /** Counted in tree.wsum (on a tree or in service). */
  counted: boolean;
  queue: Queue | null;
  group: Group | null;
}

interface Group {
  id: number;
  sched: Sched;
  /** null for the root group. */
  entity: Entity | null;
  parent: Group | null;
}

interface Queue {
  key: string;
  ctx: number;
  sync: boolean;
  group: Group;
  /** I/O priority class (bfq_class_idx) and level (7 for the idle class, as bfq_set_next_ioprio_data). */
  cls: ClassIdx;
  ioprio: number;
  entity: Entity;
  origWeight: number;
  sorted: BlockRequest[];
  fifo: BlockRequest[];
  fifoHead: number;
  queued: Set<BlockRequest>;
  fifoChecked: boolean;
  fifoPick: BlockRequest | null;
  dispatched: number;
  busy: boolean;
  maxBudget: number;
  budgetTimeout: number;
  seekHistory: number;
  lastRequestPos: number;
  ttSamples: number;
  ttTotal: number;
  ttMean: number;
  lastEndRequest: number;
  hasShortTtime: boolean;
  ioBound: boolean;
  requestsWithinTimer: number;
  nonBlockingWaitRq: boolean;
  wrCoeff: number;
  wrCurMaxTime: number;
  lastWrStartFinish: number;
  wrStartAtSwitchToSrt: number;
  serviceFromWr: number;
  softRtNextStart: number;
  softrtUpdate: boolean;
  lastIdleBklogged: number;
  serviceFromBacklogged: number;
  inLargeBurst: boolean;
  lastArrival: number;
  // Early queue merging (sync queues only).
  /** The owning context while the queue belongs to exactly one (bfqq->bic), else null. */
  bic: Bic | null;
  /** Contexts whose sync queue this is, including scheduled merges (bfqq_process_refs). */
  procRefs: number;
  /** Scheduled merge target (bfqq->new_bfqq). */
  newQueue: Queue | null;
  /** Shared by merged contexts (BFQQF_coop) / to be split at its next request (BFQQF_split_coop). */
  coop: boolean;
  splitCoop: boolean;
  /** BFQQF_just_created: no request has made it busy yet. */
  justCreated: boolean;
  /** First service of the current backlogged period (first_IO_time). */
  firstIoTime: number;
  /** Creation time if the queue was created by a split (split_time), else −∞. */
  splitTime: number;
  // Injection and waker detection.
  /** Max requests in flight allowed while this queue is plugged in service (inject_limit). */
  injectLimit: number;
  /** Last decrease or reset of injectLimit (decrease_time_jif). */
  decreaseTime: number;
  /** Baseline total service time of a first request without injection, 0 = unknown (last_serv_time_ns). */
  lastServTime: number;
  /** Candidate or confirmed waker queue (waker_bfqq) and its confirmation (BFQQF_has_waker). */
  waker: Queue | null;
  hasWaker: boolean;
  /** Queues whose waker_bfqq is this queue (woken_list). */
  woken: Set<Queue>;
  /** Order of insertion into the active tree (bfqd->active_list is newest first). */
  activeStamp: number;
}

/** State a context keeps across a merge (the bic's saved_* fields, bfq_bfqq_save_state). */
interface SavedState {
  weight: number;
  ttSamples: number;
  ttTotal: number;
  ttMean: number;
  hasShortTtime: boolean;
  ioBound: boolean;
  inLargeBurst: boolean;
  wasInBurstList: boolean;
  wrCoeff: number;
  wrStartAtSwitchToSrt: number;
  lastWrStartFinish: number;
  wrCurMaxTime: number;
}

/** bfq_io_cq: a context's link to its sync queue in one group (bic->bfqq[1]). */
interface Bic {
  ctx: number;
  group: number;
  queue: Queue | null;
  saved: SavedState | null;
}

/** Early queue merge diagnostics (not part of the kernel). */
export interface BfqMergeStats {
  /** Contexts redirected to another queue (bfq_merge_bfqqs). */
  merges: number;
  /** Contexts given their own queue back from a shared one (bfq_split_bfqq). */
  splits: number;
  /** Simulated time (ns) of the first merge, or −1. */
  firstMergeAt: number;
  /** Contexts whose sync queue (in `group`) is currently shared with `ctx`, including `ctx`. */
  sharing(ctx: number, group?: number): number[];
}

/** Injection diagnostics (not part of the kernel). */
export interface BfqInjectStats {
  /** Requests dispatched while the in-service queue was plugged, by source (bfq_select_queue). */
  async: number;
  waker: number;
  generic: number;
  /** Updates of an inject_limit by bfq_update_inject_limit that raised / lowered it. */
  limitRaises: number;
  limitDecreases: number;
  /** Largest inject_limit any queue reached. */
  maxLimit: number;
  /** State of the sync queue of `ctx` (in `group`), or null if it has none. */
  queue(
    ctx: number,
    group?: number,
  ): {
    injectLimit: number;
    /** Baseline total service time (ns), 0 while unknown. */
    lastServTimeNs: number;
    hasShortTtime: boolean;
    /** Context owning the waker queue (candidate or confirmed), or −1. */
    wakerCtx: number;
    hasWaker: boolean;
    /** Contexts of the queues this queue has woken (its woken_list). */
    woken: number[];
  } | null;
}

export interface BfqScheduler extends IoScheduler {
  mergeStats(): BfqMergeStats;
  injectStats(): BfqInjectStats;
}

const popcount = (x: number): number => {
  let v = x >>> 0;
  let c = 0;
  while (v) {
    v &= v - 1;
    c++;
  }
  return c;
};

export function createBfq(env: SchedulerEnv, params: TunableValues): BfqScheduler {
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
  const rot = env.rotational;
  const refRate = rot ? REF_RATE.rot : REF_RATE.nonrot;
  const rateDurProd = refRate * (rot ? REF_WR_DURATION.rot : REF_WR_DURATION.nonrot);

  // ---- bfq_data ----
  const groups = new Map<number, Group>();
  const queues = new Map<string, Queue>();
  const rqQueue = new Map<BlockRequest, Queue>();
  const counts = new Map<number, number>();
  let totalQueued = 0;
  let inService: Queue | null = null;
  let waitRequest = false;
  let idleTimer: TimerHandle | null = null;
  let lastIdlingStart = 0;
  let lastBudgetStart = 0;
  let budgetsAssigned = 0;
  let bfqMaxBudget = userMaxBudget > 0 ? userMaxBudget : DEFAULT_MAX_BUDGET;
  let inDriver = 0;
  // bfq_update_hw_tag starts at -1 (unknown) and samples max in-driver when > 3 requests are
  // outstanding; a device whose queue depth is <= 3 can only ever be detected as 0, so that
  // outcome is taken from the start (see docs: hw_tag).
  let hwTag = env.deviceQueueDepth <= HW_QUEUE_THRESHOLD ? 0 : -1;
  let maxRqInDriver = 0;
  let hwTagSamples = 0;
  // Peak rate estimator.
  let peakRate = (refRate * 2) / 3;
  let rateSamples = 0;
  let seqSamples = 0;
  let totSectorsDispatched = 0;
  let firstDispatch = 0;
  let lastDispatch = 0;
  let deltaFromFirst = 0;
  let lastCompletion = Number.NEGATIVE_INFINITY;
  let lastPosition = 0;
  let lastRqMaxSize = 0;
  // Burst detection.
  let burstList: Queue[] = [];
  let largeBurst = false;
  let lastBurstTime = Number.NEGATIVE_INFINITY;
  let burstGroup = -1;
  // Early queue merging.
  const bics = new Map<string, Bic>();
  /** A context's bic in one group. */
  const bicOf = (ctx: number, group: number): Bic | undefined => bics.get(`${ctx}:${group}`);
  let queueSerial = 0;
  /** End of the last request dispatched from the in-service queue (in_serv_last_pos). */
  let inServLastPos = 0;
  let mergeCount = 0;
  let splitCount = 0;
  let firstMergeAt = -1;
  // Injection (bfqd->rqs_injected, wait_dispatch, waited_rq, last_empty_occupied_ns,
  // last_completed_rq_bfqq).
  let rqsInjected = false;
  let waitDispatch = false;
  let waitedRq: BlockRequest | null = null;
  let lastEmptyOccupied = 0;
  let lastCompletedQueue: Queue | null = null;
  let activeStamp = 0;
  const injected = { async: 0, waker: 0, generic: 0, limitRaises: 0, limitDecreases: 0, maxLimit: 0 };

  const newTree = (): ServiceTree => ({ vtime: 0, wsum: 0, active: new Set(), idle: new Set() });
  const newSched = (): Sched => ({
    st: [newTree(), newTree(), newTree()],
    inService: null,
    idleLastService: env.now(),
  });
  /** Any entity waiting in one of the group's trees. */
  const schedActive = (sd: Sched) => sd.st[0].active.size + sd.st[1].active.size + sd.st[2].active.size > 0;
  /**
   * The context's class and level (bfq_set_next_ioprio_data), and the key of the async queue it
   * shares in `group` (bfq_async_queue_prio).
   */
  const ioprioOf = (ctx: number, group: number): { cls: ClassIdx; ioprio: number; asyncKey: string } => {
    const { cls, level } = queueIoprio(env.contextInfo(ctx));
    return { cls: CLASS_IDX[cls], ioprio: level, asyncKey: `a${asyncQueueKey(group, cls, level)}` };
  };

  const getGroup = (id: number): Group => {
    const existing = groups.get(id);
    if (existing) return existing;
    let g: Group;
    if (id === 0) {
      g = { id, sched: newSched(), entity: null, parent: null };
    } else {
      const info = env.groupInfo(id);
      const parent = getGroup(Math.max(0, info.parent));
      g = { id, sched: newSched(), entity: null, parent };
      g.entity = {
        weight: Math.max(1, info.weight),
        S: 0,
        F: 0,
        budget: 0,
        service: 0,
        tree: parent.sched.st[BE_IDX],
        sd: parent.sched,
        where: 'none',
        counted: false,
        queue: null,
        group: g,
      };
    }
    groups.set(id, g);
    return g;
  };

  // ---- budgets ----
  const minBudget = () => (budgetsAssigned < STATS_MIN_BUDGETS ? DEFAULT_MAX_BUDGET / 32 : bfqMaxBudget / 32);
  const budgetLeft = (q: Queue) => q.entity.budget - q.entity.service;
  const seeky = (q: Queue) => popcount(q.seekHistory) > SEEKY_BITS;
  const wrDuration = () => Math.min(25 * SEC, Math.max(3 * SEC, rateDurProd / peakRate));

  // ---- scenario detection ----
  const activeQueues = () => {
    const out: Queue[] = [];
    for (const q of queues.values()) if (q.busy || q.dispatched > 0) out.push(q);
    return out;
  };
  let busyCount = 0;
  const wrBusy = () => {
    let n = 0;
    for (const q of queues.values()) if (q.busy && q.wrCoeff > 1) n++;
    return n;
  };
  /**
   * bfq_asymmetric_scenario (5.x): varied queue weights, busy queues of more than one class, or any
   * non-root group with pending I/O.
   */
  const asymmetric = (q: Queue | null): boolean => {
    const weights = new Set<number>();
    let groupsPending = false;
    let inTree = false;
    const busyClasses = new Set<ClassIdx>();
    for (const a of activeQueues()) {
      if (a.group.id !== 0) groupsPending = true;
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
  };
  const idlingBoostsThr = (q: Queue): boolean => {
    const rotWithoutQueueing = rot && hwTag === 0;
    const seqIoBound = !seeky(q) && q.ioBound && q.hasShortTtime;
    const boosts = rotWithoutQueueing || ((rot || hwTag === 0) && seqIoBound);
    return boosts && wrBusy() === 0;
  };
  /** Since 5.3 a lone busy queue also counts as asymmetric (a new queue could otherwise flood the drive). */
  const idlingNeededForGuarantees = (q: Queue): boolean =>
    (q.wrCoeff > 1 && (wrBusy() < busyCount || inDriver >= q.dispatched + 4)) ||
    asymmetric(q) ||
    busyCount === 1;
  const betterToIdle = (q: Queue): boolean => {
    if (strict) return true;
    // No idling for async queues, nor for the idle class (it would steal bandwidth from the others).
    if (sliceIdle === 0 || !q.sync || q.cls === IDLE_IDX) return false;
    return idlingBoostsThr(q) || idlingNeededForGuarantees(q);
  };
  const mustIdle = (q: Queue) => q.queued.size === 0 && betterToIdle(q);
  const budgetTimedOut = (q: Queue) => env.now() >= q.budgetTimeout;
  const mayExpireForBudgTimeout = (q: Queue) =>
    (!waitRequest || budgetLeft(q) >= q.entity.budget / 3) && budgetTimedOut(q);
  const serviceToCharge = (q: Queue, rq: BlockRequest) =>
    q.sync || q.wrCoeff > 1 || asymmetric(q) ? rq.sectors : rq.sectors * ASYNC_CHARGE_FACTOR;

  // ---- B-WF2Q+ ----
  const setWeight = (e: Entity, w: number) => {
    if (e.counted) e.tree.wsum += w - e.weight;
    e.weight = w;
  };
  const forget = (e: Entity) => {
    if (e.counted) e.tree.wsum -= e.weight;
    e.counted = false;
    if (e.where === 'idle') e.tree.idle.delete(e);
    e.where = 'none';
  };
  /** bfq_forget_idle: idle entities whose finish time V has passed stop counting in W. */
  const purgeIdle = (st: ServiceTree) => {
    for (const e of st.idle) if (e.F <= st.vtime) forget(e);
  };
  /** __bfq_activate_entity for an entity on no tree or on the idle tree. */
  const activateEntity = (e: Entity, nonBlockingWait: boolean) => {
    const st = e.tree;
    let minStart = st.vtime;
    let backshifted = false;
    if (nonBlockingWait && st.vtime > e.F) {
      backshifted = true;
      minStart = e.F;
    }
    if (e.where === 'idle') {
      st.idle.delete(e);
      e.S = Math.max(minStart, e.F);
    } else {
      e.S = minStart;
      if (!e.counted) {
        st.wsum += e.weight;
        e.counted = true;
      }
    }
    e.F = e.S + e.budget / e.weight;
    if (backshifted && st.vtime > e.F) {
      let delta = st.vtime - e.F;
      if (e.queue) delta /= e.queue.wrCoeff;
      e.S += delta;
      e.F += delta;
    }
    e.where = 'active';
    st.active.add(e);
    if (e.queue) e.queue.activeStamp = ++activeStamp;
  };
  /** __bfq_requeue_entity: an in-service entity is charged its service, then re-enqueued. */
  const requeueEntity = (e: Entity) => {
    const st = e.tree;
    if (e.sd.inService === e) {
      e.F = e.S + e.service / e.weight;
      e.S = e.F;
      e.sd.inService = null;
    }
    e.F = e.S + e.budget / e.weight;
    e.where = 'active';
    st.active.add(e);
    if (e.queue) e.queue.activeStamp = ++activeStamp;
  };
  /** __bfq_deactivate_entity: park on the idle tree if F > V, else forget. */
  const deactivateEntity = (e: Entity) => {
    const st = e.tree;
    e.F = e.S + e.service / e.weight;
    if (e.sd.inService === e) e.sd.inService = null;
    else e.service = 0;
    if (e.where === 'active') st.active.delete(e);
    else if (e.where === 'idle') st.idle.delete(e);
    e.where = 'none';
    if (e.F > st.vtime) {
      e.where = 'idle';
      st.idle.add(e);
    } else forget(e);
  };
  /** The entity B-WF2Q+ would pick (eligible S ≤ V', minimum F), and V' (V jumped to min S). */
  const peek = (st: ServiceTree): { e: Entity | null; v: number } => {
    let minS = Number.POSITIVE_INFINITY;
    for (const e of st.active) if (e.S < minS) minS = e.S;
    const v = Math.max(st.vtime, minS);
    let best: Entity | null = null;
    for (const e of st.active) {
      if (e.S > v) continue;
      if (!best || e.F < best.F || (e.F === best.F && e.S < best.S)) best = e;
    }
    return { e: best, v };
  };
  /**
   * bfq_lookup_next_entity: the highest class with an active entity, except that the IDLE tree is
   * picked if its turn has not come up for BFQ_CL_IDLE_TIMEOUT (the timestamp is renewed then,
   * whether or not an idle-class entity was waiting). `sample` = no side effect (budget estimates).
   */
  const lookupNext = (sd: Sched, sample: boolean): { e: Entity | null; st: ServiceTree; v: number } => {
    let from = 0;
    const now = env.now();
    if (now > sd.idleLastService + CL_IDLE_TIMEOUT) {
      if (sd.st[IDLE_IDX].active.size > 0) from = IDLE_IDX;
      if (!sample) sd.idleLastService = now;
    }
    for (let i = from; i < 3; i++) {
      const st = sd.st[i];
      const { e, v } = peek(st);
      if (e) return { e, st, v };
    }
    return { e: null, st: sd.st[BE_IDX], v: 0 };
  };
  /** The budget of the entity the group would serve next (a group entity's budget). */
  const peekBudget = (sd: Sched): number => lookupNext(sd, true).e?.budget ?? 0;

  const activateQueue = (q: Queue, nonBlockingWait: boolean) => {
    activateEntity(q.entity, nonBlockingWait);
    let g = q.group;
    while (g.entity && g.parent) {
      const ge = g.entity;
      if (ge.sd.inService === ge) break;
      ge.budget = peekBudget(g.sched);
      if (ge.where === 'active') {
        // Simplified bfq_update_next_in_service: the group's budget follows its next child.
        ge.F = ge.S + ge.budget / ge.weight;
        break;
      }
      activateEntity(ge, false);
      g = g.parent;
    }
  };
  /** Requeue or deactivate the in-service path from queue q up to the root. */
  const expirePath = (q: Queue, backlogged: boolean) => {
    if (backlogged) requeueEntity(q.entity);
    else deactivateEntity(q.entity);
    let g = q.group;
    while (g.entity && g.parent) {
      const ge = g.entity;
      if (ge.sd.inService === ge) {
        if (schedActive(g.sched) || g.sched.inService) {
          ge.budget = peekBudget(g.sched);
          requeueEntity(ge);
        } else deactivateEntity(ge);
      }
      g = g.parent;
    }
  };
  /** bfq_bfqq_served: charge service at every level of the hierarchy. */
  const served = (q: Queue, c: number) => {
    if (c <= 0) return;
    if (q.serviceFromBacklogged === 0) q.firstIoTime = env.now();
    q.serviceFromBacklogged += c;
    if (q.wrCoeff > 1) q.serviceFromWr += c;
    let e: Entity | null = q.entity;
    let g: Group | null = q.group;
    while (e) {
      e.service += c;
      const st = e.tree;
      if (st.wsum > 0) st.vtime += c / st.wsum;
      purgeIdle(st);
      e = g?.entity ?? null;
      g = g?.parent ?? null;
    }
  };
  /** bfq_get_next_queue: descend from the root choosing the eligible entity with minimum F. */
  const getNextQueue = (): Queue | null => {
    const root = getGroup(0);
    let sd = root.sched;
    let owner: Group = root;
    for (let depth = 0; depth < 64; depth++) {
      let e = sd.inService;
      if (!e) {
        const { e: next, st, v } = lookupNext(sd, false);
        if (!next) {
          // A group in service with nothing left below it (should not happen): drop it and retry.
          if (owner.entity && owner.entity.sd.inService === owner.entity) {
            deactivateEntity(owner.entity);
            return getNextQueue();
          }
          return null;
        }
        st.vtime = v;
        purgeIdle(st);
        st.active.delete(next);
        next.where = 'none';
        sd.inService = next;
        next.service = 0;
        e = next;
      }
      if (e.queue) return e.queue;
      if (!e.group) return null;
      owner = e.group;
      sd = e.group.sched;
    }
    return null;
  };

  // ---- request order inside a queue ----
  const lowerBound = (arr: BlockRequest[], sector: number) => {
    let lo = 0;
    let hi = arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (arr[mid].sector < sector) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  /** bfq_choose_req: forward distance, backward ×back_seek_penalty within back_seek_max, else wrap. */
  const chooseReq = (r1: BlockRequest | null, r2: BlockRequest | null, last: number): BlockRequest | null => {
    if (!r1 || r1 === r2) return r2;
    if (!r2) return r1;
    return firstIsCloser(r1.sector, r2.sector, last, backMax, backPenalty) ? r1 : r2;
  };
  const fifoHeadRq = (q: Queue): BlockRequest | null => {
    while (q.fifoHead < q.fifo.length && !q.queued.has(q.fifo[q.fifoHead])) q.fifoHead++;
    if (q.fifoHead > 256 && q.fifoHead * 2 > q.fifo.length) {
      q.fifo.splice(0, q.fifoHead);
      q.fifoHead = 0;
    }
    return q.fifoHead < q.fifo.length ? q.fifo[q.fifoHead] : null;
  };
  /** next_rq: the FIFO head once per slot if expired (bfq_check_fifo), else the elevator choice. */
  const nextRq = (q: Queue): BlockRequest | null => {
    if (q.queued.size === 0) return null;
    if (q.fifoPick && q.queued.has(q.fifoPick)) return q.fifoPick;
    if (q === inService && !q.fifoChecked) {
      q.fifoChecked = true;
      const head = fifoHeadRq(q);
      if (head && env.now() >= head.insertedAt + (q.sync ? fifoExpireSync : fifoExpireAsync)) {
        q.fifoPick = head;
        return head;
      }
    }
    return elevatorNext(q);
  };
  /** The elevator's choice of next request (no FIFO check, no side effects). */
  const elevatorNext = (q: Queue): BlockRequest | null => {
    if (q.sorted.length === 0) return null;
    const i = lowerBound(q.sorted, lastPosition);
    const succ = i < q.sorted.length ? q.sorted[i] : q.sorted[0];
    const pred = i > 0 ? q.sorted[i - 1] : null;
    return chooseReq(succ, pred, lastPosition);
  };
  const addSorted = (q: Queue, rq: BlockRequest) => {
    q.sorted.splice(lowerBound(q.sorted, rq.sector), 0, rq);
  };
  const removeSorted = (q: Queue, rq: BlockRequest) => {
    let i = lowerBound(q.sorted, rq.sector);
    while (i < q.sorted.length && q.sorted[i] !== rq) i++;
    if (i < q.sorted.length) q.sorted.splice(i, 1);
    else {
      const j = q.sorted.indexOf(rq);
      if (j >= 0) q.sorted.splice(j, 1);
    }
  };

  // ---- queues ----
  /** bfq_get_queue + bfq_init_bfqq: a new queue (async queues are shared, see getQueue). */
  const createQueue = (rq: BlockRequest, key: string, cls: ClassIdx, ioprio: number): Queue => {
    const group = getGroup(rq.group);
    // bfq_ioprio_to_weight, for every class (the class orders the trees, the weight shares one).
    const w = (8 - ioprio) * 10;
    const now = env.now();
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
      maxBudget: (2 * bfqMaxBudget) / 3,
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
      injectLimit: 0,
      // kzalloc'ed decrease_time_jif: long past, so the first arrival resets the limit.
      decreaseTime: Number.NEGATIVE_INFINITY,
      lastServTime: 0,
      waker: null,
      hasWaker: false,
      woken: new Set(),
      activeStamp: 0,
    };
    q.entity.queue = q;
    queues.set(key, q);
    return q;
  };
  /**
   * The queue a request goes to before early merging (bfq_init_rq): the shared async queue of its
   * group and ioprio, or its context's sync queue (the bic's), created on first use. A shared queue
   * marked split_coop is split first (bfq_split_bfqq): the context gets its own queue back, with the
   * state saved when it was merged (bfq_bfqq_resume_state).
   */
  const getQueue = (rq: BlockRequest): Queue => {
    if (!rq.sync) {
      const { cls, ioprio, asyncKey } = ioprioOf(rq.ctx, rq.group);
      return queues.get(asyncKey) ?? createQueue(rq, asyncKey, cls, ioprio);
    }
    let bic = bicOf(rq.ctx, rq.group);
    if (!bic) {
      bic = { ctx: rq.ctx, group: rq.group, queue: null, saved: null };
      bics.set(`${rq.ctx}:${rq.group}`, bic);
    }
    let q = bic.queue;
    let split = false;
    if (q?.coop && q.splitCoop) {
      if (q.inLargeBurst && bic.saved) bic.saved.inLargeBurst = true;
      q = splitQueue(bic, q);
      split = true;
    }
    if (!q) {
      const { cls, ioprio } = ioprioOf(rq.ctx, rq.group);
      q = createQueue(rq, `s${rq.ctx}:${rq.group}#${queueSerial++}`, cls, ioprio);
      q.procRefs = 1;
      bic.queue = q;
      if (split && bic.saved) {
        // bfq_get_bfqq_handle_split: the burst state follows the context.
        const saved = bic.saved;
        if ((saved.wasInBurstList && largeBurst) || saved.inLargeBurst) q.inLargeBurst = true;
        else if (saved.wasInBurstList) burstList.push(q);
        q.splitTime = env.now();
      } else handleBurst(q);
    }
    if (q.procRefs === 1) {
      q.bic = bic;
      if (split) resumeState(q, bic);
    }
    return q;
  };
  /** bfq_handle_burst (simplified): ≥8 sync queues created in one group ≤180 ms apart. */
  const handleBurst = (q: Queue) => {
    const now = env.now();
    const within = now - lastBurstTime <= BURST_INTERVAL && burstGroup === q.group.id;
    if (!within) {
      burstList = [q];
      largeBurst = false;
    } else if (largeBurst) q.inLargeBurst = true;
    else {
      burstList.push(q);
      if (burstList.length >= LARGE_BURST_THRESH) {
        largeBurst = true;
        for (const b of burstList) {
          b.inLargeBurst = true;
          if (b.wrCoeff > 1) endWr(b);
        }
        burstList = [];
      }
    }
    lastBurstTime = now;
    burstGroup = q.group.id;
  };

  // ---- early queue merging (bfq_setup_cooperator and friends, 5.10–5.13) ----
  /** bfqd->nonrot_with_queueing: set for non-rotational devices until hw_tag is found to be 0. */
  const nonrotWithQueueing = () => !rot && hwTag !== 0;
  /** bfq_too_late_for_merging: served in this backlogged period, first served > 100 ms ago. */
  const tooLateForMerging = (q: Queue) =>
    q.serviceFromBacklogged > 0 && env.now() > q.firstIoTime + MERGE_TIME_LIMIT;
  /** bfq_may_be_close_cooperator: no idle-class queue, same class, neither seeky, both sync. */
  const mayBeCloseCooperator = (q: Queue, n: Queue) =>
    !tooLateForMerging(n) &&
    q.cls !== IDLE_IDX &&
    n.cls !== IDLE_IDX &&
    q.cls === n.cls &&
    !seeky(q) &&
    !seeky(n) &&
    q.sync &&
    n.sync;
  /**
   * bfq_find_close_cooperator on the group's rq_pos_tree. The tree holds the queues of the group
   * with a next request, keyed by its sector (bfq_pos_tree_add_move keeps it up to date at every
   * change of next_rq); here it is evaluated on demand from each queue's current next request, and
   * the nearest entry stands for the kernel's rb-tree parent/neighbour walk.
   */
  const findCloseCooperator = (q: Queue, sector: number): Queue | null => {
    let best: Queue | null = null;
    let bestDist = Number.POSITIVE_INFINITY;
    for (const c of queues.values()) {
      if (c.group !== q.group || tooLateForMerging(c)) continue;
      const next = elevatorNext(c);
      if (!next) continue;
      const d = Math.abs(next.sector - sector);
      if (d < bestDist) {
        best = c;
        bestDist = d;
      }
    }
    if (!best || best === q || bestDist > CLOSE_THR) return null;
    return best;
  };
  /** bfq_setup_merge: schedule the redirection of q's processes to the end of n's merge chain. */
  const setupMerge = (q: Queue, n: Queue): Queue | null => {
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
  };
  /**
   * bfq_setup_cooperator (called from __bfq_insert_request, and from bfq_allow_bio_merge for a bio
   * that may merge into a queued request — here both are one call per insert): the queue to which
   * q's context should be redirected, or null.
   */
  const setupCooperator = (q: Queue, rq: BlockRequest): Queue | null => {
    if (!q.sync || nonrotWithQueueing()) return null;
    if (tooLateForMerging(q)) return null;
    if (q.newQueue) return q.newQueue;
    if (busyCount === 1) return null;
    const cur = inService;
    if (
      cur &&
      cur !== q &&
      Math.abs(rq.sector - inServLastPos) <= CLOSE_THR &&
      cur.group === q.group &&
      mayBeCloseCooperator(q, cur)
    ) {
      const n = setupMerge(q, cur);
      if (n) return n;
    }
    const n = findCloseCooperator(q, rq.sector);
    if (n && mayBeCloseCooperator(q, n)) return setupMerge(q, n);
    return null;
  };
  /** bfq_bfqq_save_state: the owning context remembers the queue's state (only unshared queues). */
  const saveState = (q: Queue) => {
    const bic = q.bic;
    if (!bic) return;
    const now = env.now();
    // A queue merged right after creation would have been raised as interactive: save that.
    const fresh = q.justCreated && !q.inLargeBurst && lowLatency;
    bic.saved = {
      weight: q.origWeight,
      ttSamples: q.ttSamples,
      ttTotal: q.ttTotal,
      ttMean: q.ttMean,
      hasShortTtime: q.hasShortTtime,
      ioBound: q.ioBound,
      inLargeBurst: q.inLargeBurst,
      wasInBurstList: burstList.includes(q),
      wrCoeff: fresh ? WR_COEFF : q.wrCoeff,
      wrStartAtSwitchToSrt: fresh ? Number.NEGATIVE_INFINITY : q.wrStartAtSwitchToSrt,
      lastWrStartFinish: fresh ? now : q.lastWrStartFinish,
      wrCurMaxTime: fresh ? wrDuration() : q.wrCurMaxTime,
    };
  };
  /** bfq_bfqq_resume_state: a context split from a shared queue gets its saved state back. */
  const resumeState = (q: Queue, bic: Bic) => {
    const saved = bic.saved;
    if (!saved) return;
    const now = env.now();
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
        now <= q.wrStartAtSwitchToSrt + wrDuration()
      )
        switchBackToInteractiveWr(q);
      else q.wrCoeff = 1;
    }
    applyWeight(q);
  };
  /** bfq_del_bfqq_busy for a queue that is not in service: off its tree (groups left empty too). */
  const delBusy = (q: Queue) => {
    q.busy = false;
    busyCount--;
    deactivateEntity(q.entity);
    let g = q.group;
    while (g.entity && g.parent) {
      const ge = g.entity;
      if (schedActive(g.sched) || g.sched.inService || ge.sd.inService === ge || ge.where !== 'active') break;
      deactivateEntity(ge);
      g = g.parent;
    }
  };
  /** Forget a queue no context uses any more once it has nothing queued or in flight. */
  const pruneQueue = (q: Queue) => {
    if (
      q.sync &&
      q.procRefs === 0 &&
      !q.busy &&
      q.dispatched === 0 &&
      q.queued.size === 0 &&
      q !== inService
    ) {
      queues.delete(q.key);
      // bfq_put_queue: the queues it woke forget their waker; it leaves its waker's woken_list.
      for (const w of q.woken) {
        w.waker = null;
        w.hasWaker = false;
      }
      q.woken.clear();
      q.waker?.woken.delete(q);
      q.waker = null;
      if (lastCompletedQueue === q) lastCompletedQueue = null;
    }
  };
  /** bfq_release_process_ref. */
  const releaseProcessRef = (q: Queue) => {
    if (q.busy && q.queued.size === 0 && q !== inService) delBusy(q);
    q.procRefs--;
    pruneQueue(q);
  };
  /** bfq_merge_bfqqs: redirect bic (whose queue is q) to the shared queue n. */
  const mergeQueues = (bic: Bic, q: Queue, n: Queue) => {
    saveState(q);
    saveState(n);
    if (q.ioBound) n.ioBound = true;
    q.ioBound = false;
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
    releaseProcessRef(q);
    mergeCount++;
    if (firstMergeAt < 0) firstMergeAt = env.now();
  };
  /** bfq_split_bfqq: the last context keeps the queue; any other gets a new one (returns null). */
  const splitQueue = (bic: Bic, q: Queue): Queue | null => {
    splitCount++;
    if (q.procRefs === 1) {
      q.coop = false;
      q.splitCoop = false;
      return q;
    }
    bic.queue = null;
    releaseProcessRef(q);
    return null;
  };

  // ---- weight raising ----
  const applyWeight = (q: Queue) => setWeight(q.entity, q.origWeight * q.wrCoeff);
  const endWr = (q: Queue) => {
    // 5.12+ (3c337690d2eb "avoid spurious switches to soft_rt of interactive queues"): the end of
    // interactive raising forgets the bandwidth consumed, so a soft real-time phase is detected soon.
    if (q.wrCurMaxTime !== WR_RT_MAX_TIME) q.softRtNextStart = env.now();
    q.wrCoeff = 1;
    q.wrCurMaxTime = 0;
    q.lastWrStartFinish = env.now();
    applyWeight(q);
  };
  /** switch_back_to_interactive_wr: resume the interactive period that soft-rt raising interrupted. */
  const switchBackToInteractiveWr = (q: Queue) => {
    q.wrCoeff = WR_COEFF;
    q.wrCurMaxTime = wrDuration();
    q.lastWrStartFinish = q.wrStartAtSwitchToSrt;
    applyWeight(q);
  };
  /** bfq_update_wr_data: end or switch raising at dispatch time. */
  const updateWrData = (q: Queue) => {
    const now = env.now();
    if (q.wrCoeff > 1) {
      if (q.inLargeBurst) endWr(q);
      else if (now > q.lastWrStartFinish + q.wrCurMaxTime) {
        if (q.wrCurMaxTime !== WR_RT_MAX_TIME || now > q.wrStartAtSwitchToSrt + wrDuration()) endWr(q);
        else switchBackToInteractiveWr(q);
      }
      if (q.wrCoeff > 1 && q.wrCurMaxTime !== WR_RT_MAX_TIME && q.serviceFromWr > MAX_SERVICE_FROM_WR)
        endWr(q);
    }
  };
  const softrtNextStart = (q: Queue) =>
    Math.max(
      q.softRtNextStart,
      q.lastIdleBklogged + (SEC * q.serviceFromBacklogged) / WR_MAX_SOFTRT_RATE,
      env.now() + sliceIdle + 4 * JIFFY,
    );

  // ---- in-service queue management ----
  const stopIdling = (paidOff: boolean) => {
    if (idleTimer) env.cancelTimer(idleTimer);
    idleTimer = null;
    if (waitRequest && inService) env.trace.idleEnd(inService.ctx, paidOff);
    waitRequest = false;
  };
  const setInService = (q: Queue) => {
    const now = env.now();
    q.fifoChecked = false;
    q.fifoPick = null;
    budgetsAssigned = Math.floor((budgetsAssigned * 7 + 256) / 8);
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
    lastBudgetStart = now;
    const coeff = q.wrCurMaxTime === WR_RT_MAX_TIME ? 1 : q.entity.weight / q.origWeight;
    q.budgetTimeout = now + timeoutSync * coeff;
    inService = q;
    // Safety net: a fresh slot must be able to serve its next request.
    const rq = nextRq(q);
    if (rq) {
      q.entity.budget = Math.max(q.entity.budget, serviceToCharge(q, rq));
      if (!q.sync || q.coop) q.ctx = rq.ctx;
    }
    env.trace.serviceStart(q.ctx);
  };
  const recalcBudget = (q: Queue, reason: Reason) => {
    const minB = minBudget();
    let budget = q.wrCoeff === 1 ? q.maxBudget : 2 * minB;
    if (q.sync && q.wrCoeff === 1) {
      switch (reason) {
        case 'too_idle':
          if (q.dispatched > 0) budget = Math.min(budget * 2, bfqMaxBudget);
          else if (budget > 5 * minB) budget -= 4 * minB;
          else budget = minB;
          break;
        case 'budget_timeout':
          budget = Math.min(budget * 2, bfqMaxBudget);
          break;
        case 'budget_exhausted':
          budget = Math.min(budget * 4, bfqMaxBudget);
          break;
        case 'no_more_requests':
          budget = Math.max(q.entity.service, minB);
          break;
        default:
          return;
      }
    } else if (!q.sync) budget = bfqMaxBudget;
    q.maxBudget = budget;
    if (budgetsAssigned >= STATS_MIN_BUDGETS && userMaxBudget === 0)
      q.maxBudget = Math.min(q.maxBudget, bfqMaxBudget);
    const rq = nextRq(q);
    if (rq) q.entity.budget = Math.max(q.maxBudget, serviceToCharge(q, rq));
  };
  /** bfq_bfqq_is_slow; returns the time (ms) to charge. */
  const isSlow = (q: Queue, compensate: boolean): { slow: boolean; deltaMs: number } => {
    const delta = (compensate ? lastIdlingStart : env.now()) - lastBudgetStart;
    let slow = seeky(q);
    if (!q.sync) return { slow: false, deltaMs: delta / MS };
    if (delta < MS) return { slow, deltaMs: rot ? sliceIdle / MS : MIN_TT / MS };
    if (delta > 20 * MS) slow = q.entity.service < bfqMaxBudget / 2;
    return { slow, deltaMs: delta / MS };
  };
  /** bfq_bfqq_charge_time: seeky/slow queues are charged the time they held the device. */
  const chargeTime = (q: Queue, timeMs: number) => {
    const timeoutMs = timeoutSync / MS;
    const bounded = Math.min(timeMs, timeoutMs);
    const forTime = (bfqMaxBudget * bounded) / timeoutMs;
    const tot = Math.max(forTime, q.entity.service);
    if (tot > q.entity.budget) q.entity.budget = tot;
    served(q, tot - q.entity.service);
  };
  /** bfq_bfqq_expire + __bfq_bfqq_expire. */
  const expire = (q: Queue, compensate: boolean, reason: Reason) => {
    const now = env.now();
    // __bfq_bfqq_expire: a shared queue whose I/O turned seeky is split at its contexts' next requests.
    if (q.coop && seeky(q)) q.splitCoop = true;
    const { slow, deltaMs } = isSlow(q, compensate);
    if (q.wrCoeff === 1 && (slow || (reason === 'budget_timeout' && budgetLeft(q) >= q.entity.budget / 3)))
      chargeTime(q, deltaMs);
    if (reason === 'too_idle' && q.entity.service <= (2 * q.entity.budget) / 10) q.ioBound = false;
    if (lowLatency && q.wrCoeff === 1) q.lastWrStartFinish = now;
    if (lowLatency && q.queued.size === 0) {
      if (q.dispatched === 0) q.softRtNextStart = softrtNextStart(q);
      else q.softrtUpdate = true;
    }
    // No total service time to measure any longer for q.
    rqsInjected = false;
    waitDispatch = false;
    waitedRq = null;
    recalcBudget(q, reason);
    const empty = q.queued.size === 0;
    stopIdling(false);
    if (empty && !(reason === 'preempted' && idlingNeededForGuarantees(q))) {
      if (q.dispatched === 0) q.budgetTimeout = now;
      if (q.busy) busyCount--;
      q.busy = false;
      expirePath(q, false);
    } else expirePath(q, true);
    inService = null;
    if (!q.busy && reason !== 'budget_timeout' && reason !== 'budget_exhausted') q.nonBlockingWaitRq = true;
    else {
      // The service counter restarts (kept only for a queue that may resume this budget); a queue
      // served by injection before its next slot has that service counted against its budget.
      q.entity.service = 0;
    }
    for (let g: Group | null = q.group; g?.entity; g = g.parent) g.entity.service = 0;
    pruneQueue(q);
  };
  const armIdleTimer = (q: Queue) => {
    waitRequest = true;
    let sl = sliceIdle;
    if (seeky(q) && q.wrCoeff === 1 && !asymmetric(q)) sl = Math.min(sl, MIN_TT);
    else if (q.wrCoeff > 1) sl = Math.max(sl, 20 * MS);
    lastIdlingStart = env.now();
    idleTimer = env.setTimer(sl, onIdleTimer);
    env.trace.idleStart(q.ctx);
  };
  const onIdleTimer = () => {
    idleTimer = null;
    const q = inService;
    if (!q || !waitRequest) return;
    env.trace.idleEnd(q.ctx, false);
    waitRequest = false;
    if (budgetTimedOut(q)) expire(q, true, 'budget_timeout');
    else if (q.queued.size === 0) expire(q, true, 'too_idle');
    env.kick();
  };

  /**
   * bfq_add_request, a sync queue that had nothing queued gets a request: waker detection (5.10: a
   * queue with long think time becoming non-empty < 200 µs after a completion of the same other
   * queue twice in a row), the periodic (1 s) inject_limit reset, and the start of a total service
   * time sample if q is in service and either nothing is in flight (baseline) or injected requests
   * are (effect of the limit), no sooner than 10 ms after the last decrease.
   */
  const addToEmptyQueue = (q: Queue) => {
    const now = env.now();
    const lc = lastCompletedQueue;
    if (lc && !q.hasShortTtime && now - lastCompletion < WAKER_WINDOW) {
      if (lc !== q && lc !== q.waker) {
        q.waker?.woken.delete(q);
        q.waker = lc;
        lc.woken.add(q);
        q.hasWaker = false;
      } else if (lc === q.waker && !q.hasWaker) q.hasWaker = true;
    }
    if (now >= q.decreaseTime + INJECT_RESET_PERIOD) resetInjectLimit(q);
    if (
      q === inService &&
      (inDriver === 0 || (q.lastServTime > 0 && rqsInjected && inDriver > 0)) &&
      now >= q.decreaseTime + INJECT_SAMPLE_MIN_GAP
    ) {
      lastEmptyOccupied = now;
      waitDispatch = true;
      // Injection done before this arrival, with nothing in flight now, cannot delay it.
      if (inDriver === 0) rqsInjected = false;
    }
  };
  /** bfq_bfqq_handle_idle_busy_switch: a non-busy queue gets a request. */
  const idleBusySwitch = (q: Queue, rq: BlockRequest) => {
    const now = env.now();
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
    const wrOrDeserves = lowLatency && (q.wrCoeff > 1 || (q.sync && (interactive || softRt)));
    const arrivedInTime = now <= q.lastEndRequest + sliceIdle * 3;
    // bfq_bfqq_update_budg_for_activation
    let wantsToPreempt = false;
    if (q.nonBlockingWaitRq && arrivedInTime && budgetLeft(q) > 0) {
      q.entity.budget = Math.min(budgetLeft(q), q.maxBudget);
      wantsToPreempt = true;
    } else {
      q.entity.budget = Math.max(q.maxBudget, serviceToCharge(q, rq));
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
    if (lowLatency && q.sync) {
      // bfq_update_bfqq_wr_on_rq_arrival
      if (oldWr === 1 && wrOrDeserves) {
        if (interactive) {
          q.serviceFromWr = 0;
          q.wrCoeff = WR_COEFF;
          q.wrCurMaxTime = wrDuration();
        } else {
          q.wrStartAtSwitchToSrt = Number.NEGATIVE_INFINITY;
          q.wrCoeff = WR_RT_COEFF;
          q.wrCurMaxTime = WR_RT_MAX_TIME;
        }
        q.entity.budget = Math.min(q.entity.budget, 2 * minBudget());
        q.lastWrStartFinish = now;
      } else if (oldWr > 1) {
        if (interactive) {
          q.wrCoeff = WR_COEFF;
          q.wrCurMaxTime = wrDuration();
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
    busyCount++;
    activateQueue(q, backshift);
    // Preemption (5.x): a hole-recovering queue at least as raised, a heavier queue, or an
    // in-service queue that no longer deserves idling.
    const cur = inService;
    if (
      cur &&
      cur !== q &&
      ((wantsToPreempt && q.wrCoeff >= cur.wrCoeff) || higherWeight(q, cur) || !betterToIdle(cur)) &&
      mayPreempt(cur)
    )
      expire(cur, false, 'preempted');
  };
  /** bfq_bfqq_higher_class_or_weight: a higher class, else a heavier queue (or group). */
  const higherWeight = (q: Queue, cur: Queue): boolean => {
    if (q.cls < cur.cls) return true;
    if (q.group === cur.group) return q.entity.weight > cur.entity.weight;
    const wq = q.group.entity ? q.group.entity.weight : q.entity.weight;
    const wc = cur.group.entity ? cur.group.entity.weight : cur.entity.weight;
    return wq > wc;
  };
  /** next_queue_may_preempt (simplified): the root tree has another candidate than the in-service path. */
  const mayPreempt = (_cur: Queue): boolean => schedActive(getGroup(0).sched);

  // ---- peak rate estimator (bfq_update_peak_rate / bfq_update_rate_reset) ----
  const resetRate = (rq: BlockRequest | null) => {
    if (!rq) {
      rateSamples = 0;
      return;
    }
    lastRqMaxSize = rq.sectors;
    firstDispatch = env.now();
    rateSamples = 1;
    seqSamples = 0;
    totSectorsDispatched = rq.sectors;
    deltaFromFirst = 0;
  };
  const updateRateReset = (rq: BlockRequest | null) => {
    if (rateSamples >= RATE_MIN_SAMPLES && deltaFromFirst >= RATE_MIN_INTERVAL) {
      deltaFromFirst = Math.max(deltaFromFirst, lastCompletion - firstDispatch);
      const rate = totSectorsDispatched / (deltaFromFirst / 1000); // sectors/µs
      if (!((seqSamples < (3 * rateSamples) / 4 && rate <= peakRate) || rate > RATE_MAX)) {
        let weight = Math.floor((9 * seqSamples) / rateSamples);
        weight = Math.min(8, Math.floor((weight * deltaFromFirst) / RATE_REF_INTERVAL));
        const divisor = 10 - weight;
        peakRate = (peakRate * (divisor - 1)) / divisor + rate / divisor;
        if (userMaxBudget === 0) bfqMaxBudget = Math.max(1, Math.round((peakRate * timeoutSync) / 1000));
      }
    }
    resetRate(rq);
  };
  const updatePeakRate = (rq: BlockRequest) => {
    const now = env.now();
    if (rateSamples === 0) resetRate(rq);
    else if (now - lastDispatch > 100 * MS && inDriver === 0) updateRateReset(rq);
    else {
      rateSamples++;
      lastRqMaxSize = rateSamples % 32 === 0 ? rq.sectors : Math.max(lastRqMaxSize, rq.sectors);
      const isSeeky = Math.abs(rq.sector - lastPosition) > SEEK_THR && (rot || rq.sectors < SECT_THR_NONROT);
      if ((inDriver > 0 || now - lastCompletion < MIN_TT) && !isSeeky) seqSamples++;
      totSectorsDispatched += rq.sectors;
      deltaFromFirst = now - firstDispatch;
      if (deltaFromFirst >= RATE_REF_INTERVAL) updateRateReset(rq);
    }
    lastPosition = endSector(rq);
    lastDispatch = now;
  };

  // ---- injection (5.10: bfq_reset_inject_limit, bfq_update_inject_limit, bfq_select_queue) ----
  /** bfq_reset_inject_limit: forget the baseline; start from 0 (short think time) or 1. */
  const resetInjectLimit = (q: Queue) => {
    q.lastServTime = 0;
    waitedRq = null;
    q.injectLimit = q.hasShortTtime ? 0 : 1;
    q.decreaseTime = env.now();
  };
  /**
   * bfq_update_inject_limit, at the completion of the awaited first request of q (called before
   * the completion is accounted, so inDriver === 1 means nothing else is in flight): compare its
   * total service time (enqueue → completion) with the baseline, < 1.5× → +1 (up to
   * max_rq_in_driver + 1), ≥ 1.5× → −1; take or lower the baseline when nothing was injected.
   */
  const updateInjectLimit = (q: Queue) => {
    const now = env.now();
    const tot = now - lastEmptyOccupied;
    const old = q.injectLimit;
    if (q.lastServTime > 0 && rqsInjected) {
      const threshold = Math.floor((q.lastServTime * 3) / 2);
      if (tot >= threshold && old > 0) {
        q.injectLimit--;
        q.decreaseTime = now;
        injected.limitDecreases++;
      } else if (tot < threshold && old <= maxRqInDriver) {
        q.injectLimit++;
        injected.limitRaises++;
      }
    }
    if ((q.lastServTime === 0 && inDriver === 1) || tot < q.lastServTime) {
      // A base value at last: make sure injection starts.
      if (q.lastServTime === 0) q.injectLimit = Math.max(1, old);
      q.lastServTime = tot;
    } else if (!rqsInjected && inDriver === 1) q.lastServTime = tot;
    injected.maxLimit = Math.max(injected.maxLimit, q.injectLimit);
    waitedRq = null;
    rqsInjected = false;
  };
  /** bfqq->bic->bfqq[0]: the async queue of q's (unshared) process, if busy with a request. */
  const processAsyncQueue = (q: Queue): Queue | null => {
    if (!q.bic) return null;
    const a = queues.get(ioprioOf(q.bic.ctx, q.bic.group).asyncKey);
    return a?.busy && a.queued.size > 0 ? a : null;
  };
  const fitsBudget = (q: Queue): BlockRequest | null => {
    const rq = nextRq(q);
    return rq && serviceToCharge(q, rq) <= budgetLeft(q) ? rq : null;
  };
  /**
   * bfq_choose_bfqq_for_injection: the first queue of the active list (newest first) with a request
   * that fits its budget, while fewer requests than the in-service queue's inject_limit are in flight.
   */
  const chooseForInjection = (cur: Queue): Queue | null => {
    let limit = cur.injectLimit;
    const alwaysInject = cur.wrCoeff === 1 || !cur.hasShortTtime;
    // No baseline yet and plugged for ≥ slice_idle: temporarily allow one request.
    if (limit === 0 && cur.lastServTime === 0 && waitRequest && env.now() >= lastIdlingStart + sliceIdle)
      limit = 1;
    if (inDriver >= limit) return null;
    const cands: Queue[] = [];
    for (const q of queues.values())
      if (q.entity.where === 'active' && q.queued.size > 0 && q !== cur) cands.push(q);
    cands.sort((a, b) => b.activeStamp - a.activeStamp);
    for (const q of cands) {
      if (!(alwaysInject || q.wrCoeff > 1)) continue;
      const rq = fitsBudget(q);
      if (!rq) continue;
      // Only one large request in flight on non-rotational devices. (As in the kernel, the limit is
      // re-read here, so the temporary raise above only survives for such large requests.)
      limit = !rot && rq.sectors >= SECT_THR_NONROT ? Math.min(1, limit) : cur.injectLimit;
      if (inDriver < limit) {
        rqsInjected = true;
        return q;
      }
    }
    return null;
  };
  /**
   * The three mutually exclusive injection choices of bfq_select_queue while q is plugged: its
   * process's async I/O, its waker's I/O (5.12 fix: the waker's next request is checked; 5.10–5.11
   * tested q's own, always empty here, so the branch never fired), else generic injection if idling
   * is not for throughput and q is unraised, several queues are raised, or q thinks long.
   */
  const injectionQueue = (q: Queue): Queue | null => {
    const a = processAsyncQueue(q);
    const aRq = a ? nextRq(a) : null;
    if (a && aRq && aRq.ctx === q.bic?.ctx && serviceToCharge(a, aRq) <= budgetLeft(a)) {
      injected.async++;
      return a;
    }
    const w = q.waker;
    if (q.hasWaker && w?.busy && fitsBudget(w)) {
      injected.waker++;
      return w;
    }
    if (!idlingBoostsThr(q) && (q.wrCoeff === 1 || wrBusy() > 1 || !q.hasShortTtime)) {
      const g = chooseForInjection(q);
      if (g) injected.generic++;
      return g;
    }
    return null;
  };

  // ---- dispatch ----
  const selectQueue = (): Queue | null => {
    for (let guard = 0; guard < 10_000; guard++) {
      let q = inService;
      if (!q) {
        q = getNextQueue();
        if (!q) return null;
        setInService(q);
      }
      if (mayExpireForBudgTimeout(q) && !mustIdle(q)) {
        expire(q, false, 'budget_timeout');
        continue;
      }
      const rq = nextRq(q);
      if (rq) {
        if (serviceToCharge(q, rq) > budgetLeft(q)) {
          expire(q, false, 'budget_exhausted');
          continue;
        }
        if (waitRequest) stopIdling(true);
        return q;
      }
      // Plugged for q: keep it, but maybe inject another queue's request.
      if (waitRequest || (q.dispatched > 0 && betterToIdle(q))) return injectionQueue(q);
      expire(q, false, 'no_more_requests');
    }
    return null;
  };

  const uncount = (rq: BlockRequest) => {
    const c = (counts.get(rq.ctx) ?? 1) - 1;
    if (c === 0) counts.delete(rq.ctx);
    else counts.set(rq.ctx, c);
    totalQueued--;
  };

  return {
    name: 'bfq',
    insert(rq) {
      const now = env.now();
      let q = getQueue(rq);
      // Early queue merge (__bfq_insert_request / bfq_allow_bio_merge): the request, and from now on
      // its context, go to the cooperating queue.
      const coop = setupCooperator(q, rq);
      if (coop) {
        // Only a sync queue has a cooperator, and getQueue left it as its context's bic queue.
        mergeQueues(bicOf(rq.ctx, rq.group) as Bic, q, coop);
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
        const elapsed = Math.min(now - q.lastEndRequest, 2 * sliceIdle);
        q.ttSamples = (7 * q.ttSamples + 256) / 8;
        q.ttTotal = (7 * q.ttTotal + 256 * elapsed) / 8;
        q.ttMean = (q.ttTotal + 128) / q.ttSamples;
        // bfq_update_has_short_ttime: not for the idle class, nor within 2 s of a split (the
        // restored state stands).
        if (q.cls !== IDLE_IDX && now >= q.splitTime + WR_MIN_IDLE_TIME && sliceIdle > 0) {
          const short = !(q.ttSamples > TTIME_VALID_SAMPLES && q.ttMean > sliceIdle);
          const changed = short !== q.hasShortTtime;
          q.hasShortTtime = short;
          // Without a baseline the limit follows the think time (0 short, 1 long); a change to
          // short resets it only ≥ 100 ms after the last decrease (avoids oscillating with a waker).
          if (changed && q.lastServTime === 0 && (now >= q.decreaseTime + INJECT_TTIME_RESET_GAP || !short))
            resetInjectLimit(q);
        }
      }
      // Seek history.
      const dist = q.lastRequestPos ? Math.abs(rq.sector - q.lastRequestPos) : 0;
      const rqSeeky = dist > SEEK_THR && (rot || rq.sectors < SECT_THR_NONROT);
      q.seekHistory = ((q.seekHistory << 1) | (rqSeeky ? 1 : 0)) >>> 0;
      q.lastRequestPos = endSector(rq);
      // bfq_update_io_seektime (5.2+): a totally seeky soft-rt queue loses soft-rt raising; it ends
      // raising only if the interactive period it interrupted is over, else switches back to it.
      if (q.wrCoeff > 1 && q.wrCurMaxTime === WR_RT_MAX_TIME && popcount(q.seekHistory) === 32) {
        if (now > q.wrStartAtSwitchToSrt + wrDuration()) endWr(q);
        else switchBackToInteractiveWr(q);
      }
      if (q.queued.size === 0 && q.sync) addToEmptyQueue(q);

      q.queued.add(rq);
      q.fifo.push(rq);
      addSorted(q, rq);
      rqQueue.set(rq, q);
      counts.set(rq.ctx, (counts.get(rq.ctx) ?? 0) + 1);
      totalQueued++;

      if (!q.busy) idleBusySwitch(q, rq);
      else if (q !== inService) {
        // bfq_updated_next_req: the budget must cover the (possibly new) next request.
        const next = nextRq(q);
        if (next) {
          const nb = Math.max(q.maxBudget, serviceToCharge(q, next));
          if (nb !== q.entity.budget && q.entity.where === 'active') {
            q.entity.budget = nb;
            q.entity.F = q.entity.S + nb / q.entity.weight;
          }
        }
      }
      if (
        lowLatency &&
        !q.sync &&
        q.busy &&
        q.wrCoeff === 1 &&
        now - q.lastArrival > WR_MIN_INTER_ARR_ASYNC
      ) {
        // Async raising (simplified, see docs): a request reaching the busy, unraised async queue
        // more than 500 ms after its previous arrival raises it like an interactive queue.
        q.wrCoeff = WR_COEFF;
        q.wrCurMaxTime = wrDuration();
        q.lastWrStartFinish = now;
        q.serviceFromWr = 0;
        applyWeight(q);
      }
      q.lastArrival = now;
      if (q === inService && waitRequest) {
        const timedOut = budgetTimedOut(q);
        stopIdling(true);
        if (timedOut) expire(q, false, 'budget_timeout');
      }
    },

    dispatch() {
      if (strict && inDriver > 0) return null;
      const q = selectQueue();
      if (!q) return null;
      const rq = nextRq(q);
      if (!rq) return null;
      served(q, serviceToCharge(q, rq));
      q.queued.delete(rq);
      removeSorted(q, rq);
      if (q.fifoPick === rq) q.fifoPick = null;
      uncount(rq);
      updatePeakRate(rq);
      q.dispatched++;
      inDriver++;
      if (!q.sync || q.coop) q.ctx = rq.ctx;
      if (q === inService) {
        inServLastPos = endSector(rq);
        if (waitDispatch) {
          // The first request after q emptied: its total service time is measured.
          waitDispatch = false;
          waitedRq = rq;
        }
        updateWrData(q);
        // bfq_dispatch_rq_from_bfqq: an idle-class queue is expired after each request while other
        // queues are busy, as if its budget were exhausted.
        if (busyCount > 1 && q.cls === IDLE_IDX) expire(q, false, 'budget_exhausted');
      } else if (q.queued.size === 0 && q.busy) {
        // bfq_remove_request: a queue emptied by injection leaves the busy list, budget and service reset.
        delBusy(q);
        q.entity.budget = 0;
        q.entity.service = 0;
      }
      return rq;
    },

    completed(rq) {
      const q = rqQueue.get(rq);
      if (!q) return;
      rqQueue.delete(rq);
      const now = env.now();
      // bfq_finish_requeue_request: the awaited first request updates the inject limit.
      if (rq === waitedRq) updateInjectLimit(q);
      // bfq_update_hw_tag
      maxRqInDriver = Math.max(maxRqInDriver, inDriver);
      const cur = inService;
      const mayStarve =
        cur?.hasShortTtime === true &&
        cur.dispatched + cur.queued.size < HW_QUEUE_THRESHOLD &&
        inDriver < HW_QUEUE_THRESHOLD;
      if (
        hwTag !== 1 &&
        inDriver + totalQueued > HW_QUEUE_THRESHOLD &&
        !mayStarve &&
        ++hwTagSamples >= HW_QUEUE_SAMPLES
      ) {
        hwTag = maxRqInDriver > HW_QUEUE_THRESHOLD ? 1 : 0;
        maxRqInDriver = 0;
        hwTagSamples = 0;
      }
      inDriver--;
      q.dispatched--;
      if (q.dispatched === 0 && !q.busy) q.budgetTimeout = now;
      q.lastEndRequest = now;
      // A very slow completion (< 1/1024 sectors/µs for the largest recent request) closes the
      // peak-rate observation interval.
      const deltaUs = (now - lastCompletion) / 1000;
      if (deltaUs > MIN_TT / 1000 && lastRqMaxSize / deltaUs < 1 / 1024) updateRateReset(null);
      lastCompletion = now;
      lastCompletedQueue = q;
      // soft_rt_next_start is computed for interactive queues too. 5.12–6.1 still skipped them here
      // (only the bfq_bfqq_expire half of 3c337690d2eb was applied); fixed upstream in 6.2 (Kemeng
      // Shi, "do srt filtering for interactive queues in bfq_completed_request"). Followed here: with
      // the 5.x condition a preempted interactive queue keeps a stale soft_rt_next_start and flips
      // to soft-rt (weight ×3000) at each activation, starving other raised queues for seconds.
      if (q.softrtUpdate && q.dispatched === 0 && q.queued.size === 0) q.softRtNextStart = softrtNextStart(q);
      if (q === inService) {
        if (mustIdle(q)) {
          if (q.dispatched === 0 && !waitRequest) armIdleTimer(q);
        } else if (mayExpireForBudgTimeout(q)) expire(q, false, 'budget_timeout');
        else if (q.queued.size === 0 && (q.dispatched === 0 || !betterToIdle(q)))
          expire(q, false, 'no_more_requests');
      }
      pruneQueue(q);
    },

    queued() {
      return totalQueued;
    },

    queueLengths() {
      return counts;
    },

    injectStats() {
      return {
        ...injected,
        queue(ctx: number, group = 0) {
          const q = bicOf(ctx, group)?.queue;
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
        merges: mergeCount,
        splits: splitCount,
        firstMergeAt,
        sharing(ctx: number, group = 0) {
          const q = bicOf(ctx, group)?.queue;
          if (!q) return [];
          const out: number[] = [];
          for (const b of bics.values()) if (b.queue === q) out.push(b.ctx);
          return out.sort((a, b) => a - b);
        },
      };
    },
  };
}
