/**
 * CFQ's structures and constants (block/cfq-iosched.c, Linux 4.19, which keeps them in the same
 * file): struct cfq_data (CfqData), cfq_queue (Cfqq), cfq_group (Group), cfq_rb_root (ServiceTree),
 * cfq_io_cq (Cic), cfq_ttime (TTime), the workload types and classes (wl_type_t, wl_class_t) and
 * the CFQ_* constants.
 */
import type { TunableValues } from '../../../common/spec/tunables';
import type { TimerHandle } from '../../core/sim';
import { MS, timeField } from '../../core/time';
import type { BlockRequest } from '../../io/request';
import type { IoprioClass, IoScheduler, SchedulerEnv } from '../types';

// Workload types (enum wl_type_t).
export const ASYNC = 0;
export const SYNC_NOIDLE = 1;
export const SYNC = 2;
export type WlType = 0 | 1 | 2;
// Priority classes (enum wl_class_t).
export const BE_WL = 0;
export const RT_WL = 1;
export const IDLE_WL = 2;
export type WlClass = 0 | 1 | 2;
export const CLASS_NAMES: readonly IoprioClass[] = ['be', 'rt', 'idle'];
export const WL_CLASS: Readonly<Record<IoprioClass, WlClass>> = { be: BE_WL, rt: RT_WL, idle: IDLE_WL };
export const JIFFY = MS; // HZ = 1000
export const SLICE_SCALE = 5;
export const IDLE_DELAY = 200 * MS;
export const MIN_TT = 2 * JIFFY;
export const SEEK_THR = 800;
export const CLOSE_THR = 8192;
export const SECT_THR_NONROT = 64;
export const HW_QUEUE_MIN = 5;
export const SERVICE_SHIFT = 12;
export const FIXED_ONE = 1 << SERVICE_SHIFT; // 4096
export const PAGE_BYTES = 4096;
export const IOPRIO_BE_NR = 8;
/**
 * vdisktime is kept as (charge << 24) / vfraction / 4096 = charge · 4096 / vfraction, i.e. the
 * kernel's value divided by 4096, so that doubles stay exact for long runs. Ordering is unchanged.
 */
export const VD_SCALE = FIXED_ONE;
export interface TTime {
  lastEnd: number;
  samples: number;
  total: number;
  mean: number;
}
export interface Cic {
  readonly ctx: number;
  readonly ttime: TTime;
  /** The context's sync queue (cic->cfqq[1]); after a close-cooperator merge a shared one. */
  syncQ: Cfqq | null;
  /** Requests of this context queued in any cfq queue (for queueLengths). */
  queued: number;
}
/** struct cfq_rb_root: one service tree (queues ordered by rb_key) and its think time. */
export interface ServiceTree {
  readonly q: Cfqq[];
  readonly ttime: TTime;
}
export interface Group {
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
/** A queued request's CFQ state; reused once its request completed (createCfq's `spare`). */
export interface CRq {
  rq: BlockRequest;
  q: Cfqq;
  /** The io context of the request's submitter (rq->elv.icq). */
  cic: Cic;
  fifoTime: number;
}
export interface Cfqq {
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
// lastEnd is a time and total 256 × a time: both start as doubles (timeField, core/time.ts).
export const newTtime = (lastEnd: number): TTime => ({
  lastEnd: timeField(lastEnd),
  samples: 0,
  total: timeField(0),
  mean: 0,
});
export const sampleValid = (t: TTime) => t.samples > 80;
export const popcount32 = (x: number): number => {
  let v = x >>> 0;
  let c = 0;
  while (v) {
    v &= v - 1;
    c++;
  }
  return c;
};
export const seeky = (q: Cfqq) => popcount32(q.seekHistory) > 32 / 8;

/** struct cfq_data: the scheduler's per-device state, passed to every function as `cfqd` (as in the kernel). */
export interface CfqData {
  readonly env: SchedulerEnv;
  readonly params: TunableValues;
  readonly quantum: number;
  readonly fifoExpire: number[];
  readonly backMax: number; // sectors
  readonly backPenalty: number;
  readonly sliceSync: number;
  readonly sliceAsync: number;
  readonly sliceAsyncRq: number;
  // cfq_registered_queue(): a non-rotational queue gets slice_idle = 0.
  readonly sliceIdle: number;
  readonly groupIdle: number;
  readonly lowLatency: boolean;
  readonly targetLatency: number;
  readonly nonrot: boolean;
  active: Cfqq | null;
  activeCic: Cic | null;
  servingGroup: Group | null;
  servingClass: WlClass;
  servingType: WlType;
  workloadExpires: number;
  busyQueues: number;
  busySyncQueues: number;
  rqQueued: number;
  rqInDriver: number;
  readonly rqInFlight: number[];
  // hw_tag: −1 unknown (the start, on every device), 0 no queueing, 1 queueing (cfq_update_hw_tag).
  hwTag: number;
  hwTagEstDepth: number;
  hwTagSamples: number;
  lastPosition: number;
  lastDelayedSync: number;
  idleTimer: TimerHandle | null;
  /** The idle timer's handle, armed again for each idle period (cfqd->idle_slice_timer is one timer too). */
  idleTimerHandle: TimerHandle | null;
  /** cfq_idle_slice_timer bound to this cfqd (the idle timer's callback, made once). */
  readonly onIdleTimer: () => void;
  idleTraceCtx: number | null;
  lastTraced: number;
  readonly groups: Map<number, Group>;
  readonly groupTree: Group[];
  minVdisktime: number;
  readonly cics: Map<number, Cic>;
  readonly asyncQueues: Map<string, Cfqq>;
  /** Requests dispatched and not yet completed (the kernel finds them by rq->elv.priv). */
  readonly driver: CRq[];
  /** queueLengths()' map, refilled at each call. */
  readonly lengths: Map<number, number>;
  nextQid: number;
  /**
   * cfqd->prio_trees: per priority, the busy queues with a next request, ordered by its start
   * sector (an rbtree in the kernel, a sorted array here; see prioTreeLookup).
   */
  readonly prioTrees: Cfqq[][];
  coopSwitches: number;
  mergesScheduled: number;
  merges: number;
  splits: number;
}
