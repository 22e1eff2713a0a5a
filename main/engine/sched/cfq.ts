/**
 * CFQ (Completely Fair Queuing), modelled on block/cfq-iosched.c as of Linux 4.19 (the last LTS
 * with CFQ; times in ns, idle timer an hrtimer). See docs/schedulers/cfq.md for what is modelled
 * and what is simplified. Function names in comments refer to the kernel's.
 *
 * I/O priority classes (contexts carry a class rt / be / idle and a level 0..7): per group an RT and
 * a BE set of the three workload service trees plus one IDLE tree, served RT > BE > IDLE
 * (choose_wl_class_and_type), with the idle class's one-request rounds and preemption rules of
 * 4.19. Close cooperators (cfq_close_cooperator: per-priority trees of queues keyed by
 * their next request's sector, queue merging at the next request allocation, splitting of merged
 * queues that turned seeky) are modelled as in 4.19.
 */
import type { TunableValues } from '../../common/spec/tunables';
import type { TimerHandle } from '../core/sim';
import { MS } from '../core/time';
import { type BlockRequest, DEFAULT_MAX_MERGE_SECTORS, endSector, tryMerge } from '../io/request';
import { firstIsCloser } from './choose-req';
import { asyncQueueKey, queueIoprio } from './ioprio';
import type { IoprioClass, IoScheduler, SchedulerEnv } from './types';

// Workload types (enum wl_type_t).
const ASYNC = 0;
const SYNC_NOIDLE = 1;
const SYNC = 2;
type WlType = 0 | 1 | 2;
// Priority classes (enum wl_class_t).
const BE_WL = 0;
const RT_WL = 1;
const IDLE_WL = 2;
type WlClass = 0 | 1 | 2;
const CLASS_NAMES: readonly IoprioClass[] = ['be', 'rt', 'idle'];
const WL_CLASS: Readonly<Record<IoprioClass, WlClass>> = { be: BE_WL, rt: RT_WL, idle: IDLE_WL };

const JIFFY = MS; // HZ = 1000
const SLICE_SCALE = 5;
const IDLE_DELAY = 200 * MS;
const MIN_TT = 2 * JIFFY;
const SEEK_THR = 800;
const CLOSE_THR = 8192;
const SECT_THR_NONROT = 64;
const HW_QUEUE_MIN = 5;
const SERVICE_SHIFT = 12;
const FIXED_ONE = 1 << SERVICE_SHIFT; // 4096
const PAGE_BYTES = 4096;
const IOPRIO_BE_NR = 8;
/**
 * vdisktime is kept as (charge << 24) / vfraction / 4096 = charge · 4096 / vfraction, i.e. the
 * kernel's value divided by 4096, so that doubles stay exact for long runs. Ordering is unchanged.
 */
const VD_SCALE = FIXED_ONE;

interface TTime {
  lastEnd: number;
  samples: number;
  total: number;
  mean: number;
}

interface Cic {
  readonly ctx: number;
  readonly ttime: TTime;
  /** The context's sync queue (cic->cfqq[1]); after a close-cooperator merge a shared one. */
  syncQ: Cfqq | null;
}

/** struct cfq_rb_root: one service tree (queues ordered by rb_key) and its think time. */
interface ServiceTree {
  readonly q: Cfqq[];
  readonly ttime: TTime;
}

interface Group {
  readonly id: number;
  readonly parent: Group | null;
  readonly weight: number;
  readonly leafWeight: number;
  nrActive: number;
  childrenWeight: number;
  vfraction: number;
  vdisktime: number;
  onTree: boolean;
  /** Busy queues of this group (cfqg->nr_cfqq). */
  nrCfqq: number;
  /** busy_queues_avg[BE / RT] (the idle class has no workload slice). */
  readonly busyQueuesAvg: [number, number];
  /** service_trees[BE / RT][ASYNC / SYNC_NOIDLE / SYNC]. */
  readonly trees: [[ServiceTree, ServiceTree, ServiceTree], [ServiceTree, ServiceTree, ServiceTree]];
  /** service_tree_idle: every queue of the idle class, whatever its workload type. */
  readonly idleTree: ServiceTree;
  readonly ttime: TTime;
  savedWlSlice: number;
  savedWlType: WlType;
  savedWlClass: WlClass;
  dispatched: number;
  busyTime: number;
}

interface CRq {
  readonly rq: BlockRequest;
  readonly q: Cfqq;
  fifoTime: number;
}

interface Cfqq {
  readonly id: number;
  /** Context that created a sync queue (cfqq->pid; split_cfqq hands it over); -1 for an async queue. */
  ctx: number;
  readonly sync: boolean;
  /** Priority class (cfqq->ioprio_class as a wl_class_t). */
  readonly cls: WlClass;
  /** Level 0..7 (cfqq->ioprio; 7 for the idle class, as cfq_init_prio_data sets it). */
  readonly prio: number;
  readonly group: Group;
  /** Sector-sorted requests (the kernel's sort_list rb-tree). */
  readonly sorted: CRq[];
  /** Insertion order (fifo_time is monotonic within a queue). */
  readonly fifo: CRq[];
  nextRq: CRq | null;
  dispatched: number;
  onRr: boolean;
  /** Service tree the queue sits on (cfqq->service_tree; null: none). */
  st: ServiceTree | null;
  rbKey: number;
  sliceStart: number;
  sliceEnd: number;
  allocatedSlice: number;
  dispatchStart: number;
  sliceDispatch: number;
  sliceResid: number;
  seekHistory: number;
  lastRequestPos: number;
  waitRequest: boolean;
  mustDispatch: boolean;
  fifoExpire: boolean;
  idleWindow: boolean;
  sliceNew: boolean;
  deep: boolean;
  waitBusy: boolean;
  /** Member of prioTrees[prio] (cfqq->p_root != NULL). */
  inPrioTree: boolean;
  /** Queue this one is scheduled to merge into (cfqq->new_cfqq). */
  newCfqq: Cfqq | null;
  /**
   * cfqq_process_refs(): contexts whose cic points here plus the references cfq_setup_merge took
   * for processes still to come over (the kernel's ref minus the per-request ones).
   */
  procRefs: number;
  /** Shared by merged cooperators (CFQ_CFQQ_FLAG_coop). */
  coop: boolean;
  /** A shared queue found SEEKY at expiry: split at the next request allocation (split_coop). */
  splitCoop: boolean;
}

/** Read-only view of a queue's state, for tests and diagnostics. */
export interface CfqQueueView {
  readonly idleWindow: boolean;
  readonly seeky: boolean;
  readonly deep: boolean;
  readonly workload: 'async' | 'sync-noidle' | 'sync';
  /** The queue's I/O priority class. */
  readonly ioprioClass: IoprioClass;
  readonly thinkTimeNs: number;
  readonly thinkTimeValid: boolean;
  readonly queued: number;
  /** Id of the cfq queue the context's sync requests now go to (equal for merged contexts). */
  readonly queueId: number;
  /** The queue is shared after a close-cooperator merge (cfq_cfqq_coop). */
  readonly coop: boolean;
  /** The shared queue turned SEEKY and will be split at the next allocation (split_coop). */
  readonly splitCoop: boolean;
  /** Id of the queue this one is scheduled to merge into (new_cfqq), or -1. */
  readonly mergeTarget: number;
  /** Contexts whose sync requests go to this queue (the context itself included). */
  readonly mergedWith: readonly number[];
}

/** Close-cooperator events so far. */
export interface CfqCoopStats {
  /** select_queue handed the disk to a close cooperator of the emptied active queue. */
  readonly cooperatorSwitches: number;
  /** cfq_setup_merge() scheduled a merge (set new_cfqq). */
  readonly mergesScheduled: number;
  /** cfq_merge_cfqqs(): a context moved to the shared queue. */
  readonly merges: number;
  /** split_cfqq(): a context left a SEEKY shared queue (kept it if it was the last one). */
  readonly splits: number;
}

export interface CfqScheduler extends IoScheduler {
  /** State of a context's sync queue (undefined if it never issued sync I/O). */
  inspect(ctx: number): CfqQueueView | undefined;
  /** Disk time charged per group so far (ns of slice used, as cfq_group_served measures it). */
  groupServiceNs(): ReadonlyMap<number, number>;
  /** Estimated hardware queueing: -1 unknown, 0 no, 1 yes. */
  hwTag(): number;
  coopStats(): CfqCoopStats;
}

const newTtime = (lastEnd: number): TTime => ({ lastEnd, samples: 0, total: 0, mean: 0 });
const sampleValid = (t: TTime) => t.samples > 80;
const popcount32 = (x: number): number => {
  let v = x >>> 0;
  let c = 0;
  while (v) {
    v &= v - 1;
    c++;
  }
  return c;
};
const seeky = (q: Cfqq) => popcount32(q.seekHistory) > 32 / 8;

export function createCfq(env: SchedulerEnv, params: TunableValues): CfqScheduler {
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

  // --- device state (struct cfq_data) ---
  let active: Cfqq | null = null;
  let activeCic: Cic | null = null;
  let servingGroup: Group | null = null;
  let servingClass: WlClass = BE_WL;
  let servingType: WlType = SYNC;
  let workloadExpires = 0;
  let busyQueues = 0;
  let busySyncQueues = 0;
  let rqQueued = 0;
  let rqInDriver = 0;
  const rqInFlight = [0, 0];
  // hw_tag: a device that cannot hold CFQ_HW_QUEUE_MIN requests can never be detected as
  // queueing, so it is known to be 0 from the start; deeper devices are estimated as Linux does.
  let hwTag = env.deviceQueueDepth < HW_QUEUE_MIN ? 0 : -1;
  let hwTagEstDepth = 0;
  let hwTagSamples = 0;
  let lastPosition = 0;
  let lastDelayedSync = env.now() - 1000 * MS;
  let idleTimer: TimerHandle | null = null;
  let idleTraceCtx: number | null = null;
  let lastTraced = -2;

  const groups = new Map<number, Group>();
  const groupTree: Group[] = [];
  let minVdisktime = 0;
  const cics = new Map<number, Cic>();
  const asyncQueues = new Map<string, Cfqq>();
  const meta = new Map<BlockRequest, CRq>();
  const lengths = new Map<number, number>();
  let nextQid = 1;
  /**
   * cfqd->prio_trees: per priority, the busy queues with a next request, ordered by its start
   * sector (an rbtree in the kernel, a sorted array here; see prioTreeLookup).
   */
  const prioTrees: Cfqq[][] = Array.from({ length: IOPRIO_BE_NR }, () => []);
  let coopSwitches = 0;
  let mergesScheduled = 0;
  let merges = 0;
  let splits = 0;

  const now = () => env.now();

  // --- objects ---
  function getGroup(id: number): Group {
    const g0 = groups.get(id);
    if (g0) return g0;
    const info = env.groupInfo(id);
    const parent = info.parent >= 0 && id !== 0 ? getGroup(info.parent) : null;
    const tree = (): ServiceTree => ({ q: [], ttime: newTtime(now()) });
    const g: Group = {
      id,
      parent,
      weight: info.weight,
      leafWeight: info.weight,
      nrActive: 0,
      childrenWeight: 0,
      vfraction: 0,
      vdisktime: 0,
      onTree: false,
      nrCfqq: 0,
      busyQueuesAvg: [0, 0],
      trees: [
        [tree(), tree(), tree()],
        [tree(), tree(), tree()],
      ],
      idleTree: tree(),
      ttime: newTtime(now()),
      savedWlSlice: 0,
      savedWlType: SYNC,
      savedWlClass: BE_WL,
      dispatched: 0,
      busyTime: 0,
    };
    groups.set(id, g);
    return g;
  }

  function getCic(ctx: number): Cic {
    let c = cics.get(ctx);
    if (!c) {
      c = { ctx, ttime: newTtime(now()), syncQ: null };
      cics.set(ctx, c);
    }
    return c;
  }

  function newQueue(ctx: number, sync: boolean, cls: WlClass, prio: number, group: Group): Cfqq {
    return {
      id: nextQid++,
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
      rbKey: 0,
      sliceStart: -1,
      sliceEnd: 0,
      allocatedSlice: 0,
      dispatchStart: 0,
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
  }

  /** cfq_async_queue_prio(): async queues shared per group, by class and level (one for idle). */
  function asyncQueue(rq: BlockRequest): Cfqq {
    const { cls, level } = queueIoprio(env.contextInfo(rq.ctx));
    const key = asyncQueueKey(rq.group, cls, level);
    let q = asyncQueues.get(key);
    if (!q) {
      q = newQueue(-1, false, WL_CLASS[cls], level, getGroup(rq.group));
      asyncQueues.set(key, q);
    }
    return q;
  }

  /** The queue a bio of this context may merge into (cfq_find_rq_fmerge / cfq_allow_bio_merge). */
  const mergeQueue = (rq: BlockRequest): Cfqq | null => (rq.sync ? getCic(rq.ctx).syncQ : asyncQueue(rq));

  /** cfq_merge_cfqqs(): the context moves to the queue it was scheduled to merge into. */
  function mergeCfqqs(cic: Cic, q: Cfqq): Cfqq {
    const n = q.newCfqq as Cfqq;
    // The process reference on `n` was taken by cfq_setup_merge; drop the one on `q`.
    cic.syncQ = n;
    n.coop = true;
    q.procRefs--;
    merges++;
    return n;
  }

  /** cfq_put_cooperator(): drop the merge references taken along q's new_cfqq chain. */
  function putCooperator(q: Cfqq) {
    let n = q.newCfqq;
    while (n && n !== q) {
      n.procRefs = Math.max(0, n.procRefs - 1);
      n = n.newCfqq;
    }
  }

  /** split_cfqq(): null if the context needs a queue of its own, else the queue it keeps. */
  function splitCfqq(cic: Cic, q: Cfqq): Cfqq | null {
    splits++;
    if (q.procRefs === 1) {
      q.ctx = cic.ctx;
      q.coop = false;
      q.splitCoop = false;
      return q;
    }
    cic.syncQ = null;
    putCooperator(q);
    q.procRefs--;
    return null;
  }

  /** cfq_set_request(): the queue a newly allocated request of this context goes to. */
  function setRequest(rq: BlockRequest): Cfqq {
    if (!rq.sync) return asyncQueue(rq);
    const cic = getCic(rq.ctx);
    for (;;) {
      let q = cic.syncQ;
      if (!q) {
        // cfq_get_queue() / cfq_init_cfqq(): a fresh queue (seek history, flags, idle window).
        const { cls, level } = queueIoprio(env.contextInfo(rq.ctx));
        q = newQueue(rq.ctx, true, WL_CLASS[cls], level, getGroup(rq.group));
        q.procRefs = 1;
        cic.syncQ = q;
        return q;
      }
      if (q.coop && q.splitCoop) {
        q = splitCfqq(cic, q);
        if (!q) continue;
      }
      if (q.newCfqq) q = mergeCfqqs(cic, q);
      return q;
    }
  }

  // --- close cooperators (prio trees) ---
  const nextPos = (q: Cfqq) => (q.nextRq as CRq).rq.sector;

  /**
   * cfq_prio_tree_lookup(): descend the tree comparing with each node's *current* next_rq sector
   * (as the kernel, whose keys may have gone stale since insertion). The array is descended as a
   * balanced binary tree; `parent` is the last node visited (the parent of the NULL leaf), `at`
   * where the sector would be inserted.
   */
  function prioTreeLookup(root: Cfqq[], sector: number): { found: Cfqq | null; parent: number; at: number } {
    let lo = 0;
    let hi = root.length;
    let parent = -1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      parent = mid;
      const pos = nextPos(root[mid]);
      if (sector > pos) lo = mid + 1;
      else if (sector < pos) hi = mid;
      else return { found: root[mid], parent: mid, at: mid };
    }
    return { found: null, parent, at: lo };
  }

  function prioTreeRemove(q: Cfqq) {
    if (!q.inPrioTree) return;
    const root = prioTrees[q.prio];
    const i = root.indexOf(q);
    if (i >= 0) root.splice(i, 1);
    q.inPrioTree = false;
  }

  /**
   * cfq_prio_tree_add(): (re-)key the queue by its next request; one queue per sector. Idle-class
   * queues are never in a prio tree (cfq_class_idle), so they are never anyone's cooperator.
   */
  function prioTreeAdd(q: Cfqq) {
    prioTreeRemove(q);
    if (q.cls === IDLE_WL || !q.nextRq) return;
    const root = prioTrees[q.prio];
    const l = prioTreeLookup(root, nextPos(q));
    if (l.found) return;
    root.splice(l.at, 0, q);
    q.inPrioTree = true;
  }

  /** cfq_rq_close(): within CFQQ_CLOSE_THR of the last dispatched position (cfq_dist_from_last). */
  const rqClose = (c: CRq) => Math.abs(c.rq.sector - lastPosition) <= CLOSE_THR;

  /** cfqq_close(): a queue whose next request starts at, or close to, last_position. */
  function cfqqClose(cur: Cfqq): Cfqq | null {
    const root = prioTrees[cur.prio];
    if (!root.length) return null;
    const sector = lastPosition;
    const l = prioTreeLookup(root, sector);
    if (l.found) return l.found;
    const parent = root[l.parent];
    if (rqClose(parent.nextRq as CRq)) return parent;
    const i = nextPos(parent) < sector ? l.parent + 1 : l.parent - 1; // rb_next / rb_prev
    const n = root[i];
    if (!n) return null;
    return rqClose(n.nextRq as CRq) ? n : null;
  }

  /** cfq_close_cooperator(): a queue of the same group working close to where `cur` left off. */
  function closeCooperator(cur: Cfqq): Cfqq | null {
    if (cur.cls === IDLE_WL || !cur.sync || seeky(cur)) return null;
    // Don't search the prio tree if cur is the only queue in its group.
    if (cur.group.nrCfqq === 1) return null;
    const q = cfqqClose(cur);
    if (!q || q.group !== cur.group || !q.sync || seeky(q)) return null;
    // Do not merge queues of different priority classes (RT-ness).
    if ((q.cls === RT_WL) !== (cur.cls === RT_WL)) return null;
    return q;
  }

  /** cfq_setup_merge(): schedule the merge, in the direction of the fewer processes. */
  function setupMerge(q: Cfqq, target: Cfqq) {
    let n = target;
    if (!n.procRefs) return;
    // Avoid a circular list and skip interim queue merges.
    while (n.newCfqq) {
      if (n.newCfqq === q) return;
      n = n.newCfqq;
    }
    const refs = q.procRefs;
    const newRefs = n.procRefs;
    if (refs === 0 || newRefs === 0) return;
    if (newRefs >= refs) {
      q.newCfqq = n;
      n.procRefs += refs;
    } else {
      n.newCfqq = q;
      q.procRefs += newRefs;
    }
    mergesScheduled++;
  }

  const qType = (q: Cfqq): WlType => (!q.sync ? ASYNC : !q.idleWindow ? SYNC_NOIDLE : SYNC);
  // A shared (coop) queue reports the context of its next request, as an async queue does.
  const traceCtx = (q: Cfqq): number =>
    q.sync && !q.coop ? q.ctx : (q.nextRq?.rq.ctx ?? q.sorted[0]?.rq.ctx ?? q.ctx);

  // --- slices ---
  const prioSlice = (sync: boolean, prio: number) => {
    const base = sync ? sliceSync : sliceAsync;
    return base + Math.floor(base / SLICE_SCALE) * (4 - prio);
  };
  const prioToMaxRq = (q: Cfqq) => 2 * sliceAsyncRq * (IOPRIO_BE_NR - q.prio);
  /** st_for(): the service tree of a class and workload type (the idle class has one). */
  const stFor = (g: Group, cls: WlClass, type: WlType): ServiceTree =>
    cls === IDLE_WL ? g.idleTree : g.trees[cls][type];
  /** cfq_group_busy_queues_wl(): busy queues of one class in the group. */
  const busyWl = (cls: WlClass, g: Group): number =>
    cls === IDLE_WL
      ? g.idleTree.q.length
      : g.trees[cls][0].q.length + g.trees[cls][1].q.length + g.trees[cls][2].q.length;
  /** cfqg_busy_async_queues(). */
  const busyAsync = (g: Group) => g.trees[RT_WL][ASYNC].q.length + g.trees[BE_WL][ASYNC].q.length;
  const groupSlice = (g: Group) => Math.floor((targetLatency * g.vfraction) / FIXED_ONE);

  /** cfq_group_get_avg_queues(): averaged busy queues of the RT or BE class. */
  function groupAvgQueues(g: Group, rt: boolean): number {
    const c = rt ? RT_WL : BE_WL;
    const busy = busyWl(c, g);
    const minQ = Math.min(g.busyQueuesAvg[c], busy);
    const maxQ = Math.max(g.busyQueuesAvg[c], busy);
    g.busyQueuesAvg[c] = Math.floor((3 * maxQ + minQ + 2) / 4);
    return g.busyQueuesAvg[c];
  }

  /** cfq_scaled_cfqq_slice(): cfq_prio_slice by level (the same for every class in 4.19). */
  function scaledSlice(q: Cfqq): number {
    let slice = prioSlice(q.sync, q.prio);
    if (lowLatency) {
      const iq = groupAvgQueues(q.group, q.cls === RT_WL);
      const expect = sliceSync * iq;
      const gs = groupSlice(q.group);
      if (expect > gs) {
        const lowSlice = Math.min(slice, Math.floor((2 * sliceIdle * slice) / sliceSync));
        slice = Math.max(Math.floor((slice * gs) / expect), lowSlice);
      }
    }
    return slice;
  }

  const sliceUsed = (q: Cfqq) => !q.sliceNew && now() >= q.sliceEnd;
  const iopsMode = () => sliceIdle === 0 && hwTag !== 0;

  // --- think time / seeks / idle window ---
  function updateTtime(t: TTime, idle: number) {
    const elapsed = Math.min(now() - t.lastEnd, 2 * idle);
    t.samples = Math.floor((7 * t.samples + 256) / 8);
    t.total = Math.floor((7 * t.total + 256 * elapsed) / 8);
    t.mean = Math.floor((t.total + 128) / t.samples);
  }
  const ttimeBig = (t: TTime, forGroup: boolean) =>
    sampleValid(t) && t.mean > (forGroup ? groupIdle : sliceIdle);

  function updateIdleWindow(q: Cfqq, cic: Cic) {
    // Don't idle for async or idle io prio class.
    if (!q.sync || q.cls === IDLE_WL) return;
    if (q.sorted.length >= 4) q.deep = true;
    // No request here is "noidle": O_DIRECT sync writes carry REQ_IDLE in 4.19.
    if (sliceIdle === 0 || (!q.deep && seeky(q))) q.idleWindow = false;
    else if (sampleValid(cic.ttime)) q.idleWindow = cic.ttime.mean <= sliceIdle;
  }

  function shouldIdle(q: Cfqq): boolean {
    if (sliceIdle === 0) return false;
    // We never do for idle class queues.
    if (q.cls === IDLE_WL) return false;
    if (q.idleWindow && !(nonrot && hwTag !== 0)) return true;
    const st = q.st;
    if (!st) return false;
    return st.q.length === 1 && q.sync && !ttimeBig(st.ttime, false);
  }

  // --- service trees ---
  function treeInsert(st: ServiceTree, q: Cfqq) {
    const a = st.q;
    let i = a.length;
    while (i > 0 && a[i - 1].rbKey > q.rbKey) i--;
    a.splice(i, 0, q);
  }
  function treeRemove(q: Cfqq) {
    const st = q.st;
    if (!st) return;
    const i = st.q.indexOf(q);
    if (i >= 0) st.q.splice(i, 1);
    q.st = null;
  }

  function serviceTreeAdd(q: Cfqq, addFront: boolean) {
    const st = stFor(q.group, q.cls, qType(q));
    const t = now();
    let key: number;
    if (q.cls === IDLE_WL) {
      // An idle-class queue goes CFQ_IDLE_DELAY behind the last queue of the idle tree.
      const last = st.q[st.q.length - 1];
      key = IDLE_DELAY + (last && last !== q ? last.rbKey : t);
    } else if (!addFront) {
      const offset = (q.group.nrCfqq - 1) * (prioSlice(true, 0) - prioSlice(q.sync, q.prio));
      key = offset + t - q.sliceResid;
      q.sliceResid = 0;
    } else {
      key = -1000 * MS + (st.q[0] ? st.q[0].rbKey : t);
    }
    let isNew = true;
    if (q.st) {
      isNew = false;
      if (key === q.rbKey && q.st === st) return;
      treeRemove(q);
    }
    q.rbKey = key;
    q.st = st;
    treeInsert(st, q);
    if (addFront || !isNew) return;
    groupNotifyQueueAdd(q.group);
  }

  /** cfq_resort_rr_list(): re-key a queue on the round robin in its service tree and prio tree. */
  function resortRrList(q: Cfqq) {
    if (!q.onRr) return;
    serviceTreeAdd(q, false);
    prioTreeAdd(q);
  }

  function addCfqqRr(q: Cfqq) {
    q.onRr = true;
    busyQueues++;
    if (q.sync) busySyncQueues++;
    resortRrList(q);
  }

  function delCfqqRr(q: Cfqq) {
    q.onRr = false;
    treeRemove(q);
    prioTreeRemove(q);
    groupNotifyQueueDel(q.group);
    busyQueues--;
    if (q.sync) busySyncQueues--;
  }

  // --- group service tree ---
  function groupTreeInsert(g: Group) {
    const key = g.vdisktime - minVdisktime;
    let i = groupTree.length;
    while (i > 0 && groupTree[i - 1].vdisktime - minVdisktime > key) i--;
    groupTree.splice(i, 0, g);
    g.onTree = true;
  }

  function groupTreeAdd(g: Group) {
    groupTreeInsert(g);
    let pos = g;
    let propagate = pos.nrActive++ === 0;
    pos.childrenWeight += pos.leafWeight;
    let vfr = Math.floor((FIXED_ONE * pos.leafWeight) / pos.childrenWeight);
    let parent = pos.parent;
    while (parent) {
      if (propagate) {
        propagate = parent.nrActive++ === 0;
        parent.childrenWeight += pos.weight;
      }
      vfr = Math.floor((vfr * pos.weight) / parent.childrenWeight);
      pos = parent;
      parent = pos.parent;
    }
    g.vfraction = Math.max(vfr, 1);
  }

  function groupTreeDel(g: Group) {
    let pos = g;
    let propagate = --pos.nrActive === 0;
    pos.childrenWeight -= pos.leafWeight;
    while (propagate) {
      pos.vfraction = 0;
      const parent = pos.parent;
      if (!parent) break;
      propagate = --parent.nrActive === 0;
      parent.childrenWeight -= pos.weight;
      pos = parent;
    }
    if (g.onTree) {
      const i = groupTree.indexOf(g);
      if (i >= 0) groupTree.splice(i, 1);
      g.onTree = false;
    }
  }

  function groupNotifyQueueAdd(g: Group) {
    g.nrCfqq++;
    if (g.onTree) return;
    const last = groupTree[groupTree.length - 1];
    // cfq_get_cfqg_vdisktime_delay(): CFQ_IDLE_DELAY raw (HZ/5 in IOPS mode), unscaled.
    const delay = (iopsMode() ? 200 : IDLE_DELAY) / VD_SCALE;
    g.vdisktime = last ? last.vdisktime + delay : minVdisktime;
    groupTreeAdd(g);
  }

  function groupNotifyQueueDel(g: Group) {
    g.nrCfqq--;
    if (g.nrCfqq) return;
    groupTreeDel(g);
    g.savedWlSlice = 0;
  }

  function sliceUsage(q: Cfqq): number {
    const t = now();
    if (q.sliceStart < 0 || q.sliceStart === t) return Math.max(t - q.dispatchStart, JIFFY);
    return Math.min(t - q.sliceStart, q.allocatedSlice);
  }

  function groupServed(g: Group, q: Cfqq) {
    const nrSync = g.nrCfqq - busyAsync(g) - g.idleTree.q.length;
    const used = sliceUsage(q);
    let charge = used;
    if (iopsMode()) charge = q.sliceDispatch;
    else if (!q.sync && nrSync === 0) charge = q.allocatedSlice;
    g.busyTime += used;
    const vfr = g.vfraction;
    if (g.onTree && vfr > 0) {
      groupTreeDel(g);
      g.vdisktime += (charge * FIXED_ONE) / vfr;
      groupTreeAdd(g);
    }
    const t = now();
    if (workloadExpires > t) {
      g.savedWlSlice = workloadExpires - t;
      g.savedWlType = servingType;
      g.savedWlClass = servingClass;
    } else g.savedWlSlice = 0;
  }

  // --- idle timer ---
  function endIdleTrace(paidOff: boolean) {
    if (idleTraceCtx === null) return;
    const c = idleTraceCtx;
    idleTraceCtx = null;
    env.trace.idleEnd(c, paidOff);
  }
  function delTimer() {
    if (idleTimer) {
      env.cancelTimer(idleTimer);
      idleTimer = null;
    }
    endIdleTrace(false);
  }
  const timerPending = () => idleTimer !== null && !idleTimer.done;

  function onIdleTimer() {
    idleTimer = null;
    endIdleTrace(false);
    const q = active;
    let timedOut = true;
    if (q) {
      timedOut = false;
      if (q.mustDispatch) {
        env.kick();
        return;
      }
      if (!sliceUsed(q)) {
        if (!busyQueues) return;
        if (q.sorted.length) {
          env.kick();
          return;
        }
        q.deep = false;
      }
    }
    sliceExpired(timedOut);
    env.kick();
  }

  function armSliceTimer() {
    const q = active;
    if (!q) return;
    const t = now();
    if (nonrot && hwTag !== 0 && !groupIdle) return;
    let gIdle = 0;
    if (!shouldIdle(q)) {
      if (groupIdle) gIdle = groupIdle;
      else return;
    }
    if (q.dispatched) return;
    const cic = activeCic;
    if (!cic) return;
    if (sampleValid(cic.ttime) && q.sliceEnd - t < cic.ttime.mean) return;
    if (gIdle && (q.group.nrCfqq > 1 || (q.st !== null && ttimeBig(q.st.ttime, true)))) return;
    q.waitRequest = true;
    const sl = gIdle ? gIdle : sliceIdle;
    if (idleTimer) env.cancelTimer(idleTimer);
    idleTimer = env.setTimer(sl, onIdleTimer);
    endIdleTrace(false);
    idleTraceCtx = traceCtx(q);
    env.trace.idleStart(idleTraceCtx);
  }

  // --- activation / expiry ---
  function setActive(q: Cfqq | null): Cfqq | null {
    if (q) {
      q.sliceStart = -1;
      q.dispatchStart = now();
      q.allocatedSlice = 0;
      q.sliceEnd = 0;
      q.sliceDispatch = 0;
      q.waitRequest = false;
      q.mustDispatch = false;
      q.fifoExpire = false;
      q.sliceNew = true;
      delTimer();
    }
    active = q;
    const c = q ? traceCtx(q) : -1;
    if (q || lastTraced !== -1) env.trace.serviceStart(c);
    lastTraced = c;
    return q;
  }

  function sliceExpired(timedOut: boolean) {
    const q = active;
    if (!q) return;
    if (q.waitRequest) delTimer();
    q.waitRequest = false;
    q.waitBusy = false;
    // A shared queue whose processes no longer issue I/O close together is split again.
    if (q.coop && seeky(q)) q.splitCoop = true;
    if (timedOut) q.sliceResid = q.sliceNew ? scaledSlice(q) : q.sliceEnd - now();
    groupServed(q.group, q);
    if (q.onRr && q.sorted.length === 0) delCfqqRr(q);
    resortRrList(q);
    active = null;
    activeCic = null;
    if (!busyQueues && lastTraced !== -1) {
      lastTraced = -1;
      env.trace.serviceStart(-1);
    }
  }

  // --- selection ---
  function chooseWlType(g: Group, cls: WlClass): WlType {
    let best: WlType = SYNC_NOIDLE;
    let lowest = 0;
    let valid = false;
    for (const i of [ASYNC, SYNC_NOIDLE, SYNC] as const) {
      const first = stFor(g, cls, i).q[0];
      if (first && (!valid || first.rbKey < lowest)) {
        lowest = first.rbKey;
        best = i;
        valid = true;
      }
    }
    return best;
  }

  /** choose_wl_class_and_type(): RT > BE > IDLE, then the workload type and its slice. */
  function chooseWorkload(g: Group) {
    const t = now();
    const original = servingClass;
    if (busyWl(RT_WL, g)) servingClass = RT_WL;
    else if (busyWl(BE_WL, g)) servingClass = BE_WL;
    else {
      servingClass = IDLE_WL;
      workloadExpires = t + JIFFY;
      return;
    }
    const cls = servingClass;
    if (original === cls && stFor(g, cls, servingType).q.length && !(t > workloadExpires)) return;
    servingType = chooseWlType(g, cls);
    const count = stFor(g, cls, servingType).q.length;
    const busy = busyWl(cls, g);
    const gs = groupSlice(g);
    let slice = Math.floor((gs * count) / Math.max(g.busyQueuesAvg[cls], busy));
    if (servingType === ASYNC) {
      const tmp = Math.floor((targetLatency * busyAsync(g)) / Math.max(1, busyQueues));
      slice = Math.min(slice, tmp);
      slice = Math.floor((slice * sliceAsync) / sliceSync);
    } else slice = Math.max(slice, 2 * sliceIdle);
    slice = Math.max(slice, MIN_TT);
    workloadExpires = t + slice;
  }

  function chooseGroup() {
    const g = groupTree[0] ?? null;
    if (g) minVdisktime = Math.max(minVdisktime, g.vdisktime);
    servingGroup = g;
    if (!g) return;
    const t = now();
    if (g.savedWlSlice) {
      workloadExpires = t + g.savedWlSlice;
      servingType = g.savedWlType;
      servingClass = g.savedWlClass;
    } else workloadExpires = t - 1;
    chooseWorkload(g);
  }

  function getNextQueue(): Cfqq | null {
    if (!rqQueued || !servingGroup) return null;
    return stFor(servingGroup, servingClass, servingType).q[0] ?? null;
  }

  function selectQueue(): Cfqq | null {
    const q = active;
    const t = now();
    if (q) {
      if (!rqQueued) return null;
      let checkGroupIdle = true;
      if (q.waitBusy && q.sorted.length) checkGroupIdle = false;
      else if (sliceUsed(q) && !q.mustDispatch) {
        if (q.group.nrCfqq === 1 && !q.sorted.length && q.dispatched && shouldIdle(q)) return null;
      } else {
        if (q.sorted.length) return q;
        // A queue with a request close to where this one left off gets the disk at once (it
        // keeps its place in its service tree; no new group / workload is chosen), and the two
        // are set up to merge.
        const coop = closeCooperator(q);
        if (coop) {
          if (!q.newCfqq) setupMerge(q, coop);
          sliceExpired(false);
          coopSwitches++;
          return setActive(coop);
        }
        if (timerPending()) return null;
        if (seeky(q) && q.idleWindow && (q.sliceNew || q.sliceEnd - t > t - q.sliceStart)) {
          q.deep = false;
          q.idleWindow = false;
        }
        if (q.dispatched && shouldIdle(q)) return null;
      }
      if (
        checkGroupIdle &&
        groupIdle &&
        q.group.nrCfqq === 1 &&
        q.group.dispatched &&
        !ttimeBig(q.group.ttime, true)
      )
        return null;
      sliceExpired(false);
    }
    chooseGroup();
    return setActive(getNextQueue());
  }

  // --- requests ---
  function chooseReq(a: CRq | null, b: CRq | null, last: number): CRq | null {
    if (!a || a === b) return b;
    if (!b) return a;
    if (a.rq.sync !== b.rq.sync) return a.rq.sync ? a : b;
    return firstIsCloser(a.rq.sector, b.rq.sector, last, backMax, backPenalty) ? a : b;
  }

  function findNextRq(q: Cfqq, last: CRq): CRq | null {
    const i = q.sorted.indexOf(last);
    const prev = i > 0 ? q.sorted[i - 1] : null;
    let next: CRq | null = i + 1 < q.sorted.length ? q.sorted[i + 1] : null;
    if (!next && q.sorted[0] && q.sorted[0] !== last) next = q.sorted[0];
    return chooseReq(next, prev, last.rq.sector);
  }

  function sortedInsert(q: Cfqq, c: CRq) {
    let lo = 0;
    let hi = q.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (q.sorted[mid].rq.sector <= c.rq.sector) lo = mid + 1;
      else hi = mid;
    }
    q.sorted.splice(lo, 0, c);
  }

  const bump = (ctx: number, d: number) => {
    const v = (lengths.get(ctx) ?? 0) + d;
    if (v <= 0) lengths.delete(ctx);
    else lengths.set(ctx, v);
  };

  /** cfq_remove_request(): take a queued request out of its queue. */
  function removeRequest(c: CRq) {
    const q = c.q;
    if (q.nextRq === c) q.nextRq = findNextRq(q, c);
    const i = q.sorted.indexOf(c);
    if (i >= 0) q.sorted.splice(i, 1);
    // cfq_del_rq_rb(): an emptied queue leaves the prio tree now, the service tree at expiry.
    if (q.onRr && q.sorted.length === 0) prioTreeRemove(q);
    const j = q.fifo.indexOf(c);
    if (j >= 0) q.fifo.splice(j, 1);
    rqQueued--;
    bump(c.rq.ctx, -1);
  }

  /** Merge `rq` into a queued request of the same cfq queue (cfq_merge / attempt_*_merge). */
  function tryMergeInto(q: Cfqq, rq: BlockRequest): boolean {
    const end = endSector(rq);
    for (let i = 0; i < q.sorted.length; i++) {
      const c = q.sorted[i];
      if (endSector(c.rq) === rq.sector && tryMerge(c.rq, rq, DEFAULT_MAX_MERGE_SECTORS) === 'back') {
        // attempt_back_merge(): the grown request may now reach its successor.
        const nx = q.sorted[i + 1];
        if (nx && endSector(c.rq) === nx.rq.sector) mergeRequests(c, nx);
        return true;
      }
      if (c.rq.sector === end && tryMerge(c.rq, rq, DEFAULT_MAX_MERGE_SECTORS) === 'front') {
        const pv = q.sorted[i - 1];
        if (pv && endSector(pv.rq) === c.rq.sector) mergeRequests(pv, c);
        return true;
      }
    }
    return false;
  }

  /** cfq_merged_requests(): `b` (adjacent after `a`) is folded into `a`. */
  function mergeRequests(a: CRq, b: CRq) {
    if (tryMerge(a.rq, b.rq, DEFAULT_MAX_MERGE_SECTORS) !== 'back') return;
    if (b.fifoTime < a.fifoTime) {
      // `a` takes `b`'s place (and expiry time) in the fifo.
      const fifo = a.q.fifo;
      const ia = fifo.indexOf(a);
      if (ia >= 0) fifo.splice(ia, 1);
      const ib = fifo.indexOf(b);
      if (ib >= 0) fifo[ib] = a;
      a.fifoTime = b.fifoTime;
    }
    if (a.q.nextRq === b) a.q.nextRq = a;
    removeRequest(b);
    meta.delete(b.rq);
  }

  function updateHwTag() {
    const q = active;
    if (rqInDriver > hwTagEstDepth) hwTagEstDepth = rqInDriver;
    if (hwTag === 1) return;
    if (rqQueued <= HW_QUEUE_MIN && rqInDriver <= HW_QUEUE_MIN) return;
    if (q?.idleWindow && q.dispatched + q.sorted.length < HW_QUEUE_MIN && rqInDriver < HW_QUEUE_MIN) return;
    if (hwTagSamples++ < 50) return;
    hwTag = hwTagEstDepth >= HW_QUEUE_MIN ? 1 : 0;
  }

  function shouldPreempt(n: Cfqq, rq: BlockRequest): boolean {
    const q = active;
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
    if (sliceUsed(q)) return true;
    // Allow an RT request to preempt an ongoing non-RT timeslice.
    if (n.cls === RT_WL && q.cls !== RT_WL) return true;
    if (servingType === SYNC_NOIDLE && qType(n) === SYNC_NOIDLE && !q.sorted.length) return true;
    if (!q.sorted.length && !shouldIdle(q)) return true;
    if (!activeCic || !q.waitRequest) return false;
    return Math.abs(rq.sector - lastPosition) <= CLOSE_THR;
  }

  function preemptQueue(n: Cfqq) {
    const oldType = active ? qType(active) : qType(n);
    sliceExpired(true);
    if (oldType !== qType(n)) n.group.savedWlSlice = 0;
    if (!n.onRr) return;
    serviceTreeAdd(n, true);
    n.sliceEnd = 0;
    n.sliceNew = true;
  }

  function mayDispatch(q: Cfqq): boolean {
    if (q.mustDispatch) return true;
    if (shouldIdle(q) && rqInFlight[0]) return false;
    if (rqInFlight[1] && !q.sync) return false;
    let max = Math.max(Math.floor(quantum / 2), 1);
    if (q.cls === IDLE_WL) max = 1;
    if (q.dispatched >= max) {
      // An idle-class queue must only ever have a single request in flight.
      if (q.cls === IDLE_WL) return false;
      const promote = q.sync && busySyncQueues === 1;
      const t = now();
      const usedSoon = q.sliceNew || t + sliceIdle * q.dispatched > q.sliceEnd;
      if (busyQueues > 1 && usedSoon && !promote) return false;
      max = busyQueues === 1 || promote ? Number.POSITIVE_INFINITY : quantum;
    }
    if (!q.sync && lowLatency) {
      let depth = Math.floor((now() - lastDelayedSync) / sliceSync);
      if (!depth && !q.dispatched) depth = 1;
      if (depth < max) max = depth;
    }
    return q.dispatched < max;
  }

  function checkFifo(q: Cfqq): CRq | null {
    if (q.fifoExpire) return null;
    q.fifoExpire = true;
    const head = q.fifo[0];
    if (!head) return null;
    return now() < head.fifoTime ? null : head;
  }

  function dispatchRequest(q: Cfqq): CRq | null {
    let c = checkFifo(q);
    if (c) q.mustDispatch = true;
    if (!mayDispatch(q)) return null;
    if (!c) c = q.nextRq;
    if (!c) return null;
    // cfq_dispatch_insert()
    q.nextRq = findNextRq(q, c);
    if (q.nextRq === c) q.nextRq = null;
    removeRequest(c);
    q.dispatched++;
    q.group.dispatched++;
    rqInFlight[q.sync ? 1 : 0]++;
    rqInDriver++;
    lastPosition = endSector(c.rq);
    if (!activeCic) activeCic = getCic(c.rq.ctx);
    return c;
  }

  function enqueued(q: Cfqq, c: CRq) {
    const rq = c.rq;
    rqQueued++;
    const cic = getCic(rq.ctx);
    // cfq_update_io_thinktime()
    if (q.sync) {
      updateTtime(cic.ttime, sliceIdle);
      if (q.st) updateTtime(q.st.ttime, sliceIdle);
    }
    updateTtime(q.group.ttime, groupIdle);
    // cfq_update_io_seektime()
    let sdist = 0;
    if (q.lastRequestPos) sdist = Math.abs(rq.sector - q.lastRequestPos);
    q.seekHistory =
      ((q.seekHistory << 1) |
        (nonrot ? (rq.sectors < SECT_THR_NONROT ? 1 : 0) : sdist > SEEK_THR ? 1 : 0)) >>>
      0;
    updateIdleWindow(q, cic);
    q.lastRequestPos = rq.sector + rq.sectors;

    if (q === active) {
      if (q.waitRequest) {
        endIdleTrace(true);
        if (rq.sectors * 512 > PAGE_BYTES || busyQueues > 1) {
          delTimer();
          q.waitRequest = false;
          env.kick();
        } else q.mustDispatch = true;
      }
    } else if (shouldPreempt(q, rq)) {
      preemptQueue(q);
      env.kick();
    }
  }

  return {
    name: 'cfq',
    insert(rq) {
      const mq = mergeQueue(rq);
      if (mq && tryMergeInto(mq, rq)) return;
      const q = setRequest(rq);
      const c: CRq = { rq, q, fifoTime: now() + fifoExpire[rq.sync ? 1 : 0] };
      meta.set(rq, c);
      q.fifo.push(c);
      sortedInsert(q, c);
      bump(rq.ctx, 1);
      if (!q.onRr) addCfqqRr(q);
      const prev = q.nextRq;
      q.nextRq = chooseReq(q.nextRq, c, lastPosition);
      if (prev !== q.nextRq) prioTreeAdd(q);
      enqueued(q, c);
    },
    dispatch() {
      if (!busyQueues) return null;
      const q = selectQueue();
      if (!q) return null;
      const c = dispatchRequest(q);
      if (!c) return null;
      q.sliceDispatch++;
      q.mustDispatch = false;
      // An async queue expires once it used up its slice; an idle-class queue after each round.
      if (busyQueues > 1 && ((!q.sync && q.sliceDispatch >= prioToMaxRq(q)) || q.cls === IDLE_WL)) {
        q.sliceEnd = now() + 1;
        sliceExpired(false);
      }
      return c.rq;
    },
    completed(rq) {
      const c = meta.get(rq);
      if (!c) return;
      meta.delete(rq);
      const q = c.q;
      const t = now();
      updateHwTag();
      rqInDriver--;
      q.dispatched--;
      q.group.dispatched--;
      rqInFlight[q.sync ? 1 : 0]--;
      if (rq.sync) {
        getCic(rq.ctx).ttime.lastEnd = t;
        (q.onRr && q.st ? q.st : stFor(q.group, q.cls, qType(q))).ttime.lastEnd = t;
        if (rq.insertedAt + fifoExpire[1] <= t) lastDelayedSync = t;
      }
      q.group.ttime.lastEnd = t;
      if (active === q) {
        const empty = q.sorted.length === 0;
        if (q.sliceNew) {
          const slice = scaledSlice(q);
          q.sliceStart = t;
          q.sliceEnd = t + slice;
          q.allocatedSlice = slice;
          q.sliceNew = false;
        }
        // cfq_should_wait_busy()
        if (empty && q.group.nrCfqq <= 1 && !ttimeBig(q.group.ttime, true)) {
          const cic = activeCic;
          if (
            sliceUsed(q) ||
            (cic && sampleValid(cic.ttime) && q.sliceEnd - t < cic.ttime.mean) ||
            q.sliceEnd - t <= JIFFY
          ) {
            q.sliceEnd = t + (sliceIdle ? sliceIdle : groupIdle);
            q.waitBusy = true;
          }
        }
        // No idling for idle-class queues: they expire at each completion.
        if (sliceUsed(q) || q.cls === IDLE_WL) sliceExpired(true);
        // No idling when a close cooperator can take over (cfq_close_cooperator).
        else if (rq.sync && empty && !closeCooperator(q)) armSliceTimer();
      }
      if (!rqInDriver) env.kick();
    },
    queued() {
      return rqQueued;
    },
    queueLengths() {
      return lengths;
    },
    inspect(ctx) {
      const cic = cics.get(ctx);
      const q = cic?.syncQ;
      if (!cic || !q) return undefined;
      const type = qType(q);
      const mergedWith: number[] = [];
      for (const c of cics.values()) if (c.syncQ === q) mergedWith.push(c.ctx);
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
      return { cooperatorSwitches: coopSwitches, mergesScheduled, merges, splits };
    },
    groupServiceNs() {
      const m = new Map<number, number>();
      for (const g of groups.values()) m.set(g.id, g.busyTime);
      return m;
    },
    hwTag() {
      return hwTag;
    },
  };
}
