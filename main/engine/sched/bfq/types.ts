/**
 * BFQ's structures and constants (block/bfq-iosched.h): struct bfq_data (BfqData), bfq_queue
 * (Queue), bfq_entity (Entity), bfq_group (Group), bfq_sched_data (Sched), bfq_service_tree
 * (ServiceTree), bfq_io_cq (Bic) and the saved state of a merged queue (bic->saved_*).
 */
import type { TunableValues } from '../../../common/spec/tunables';
import type { TimerHandle } from '../../core/sim';
import { MS, SEC } from '../../core/time';
import type { BlockRequest } from '../../io/request';
import type { IoprioClass, IoScheduler, SchedulerEnv } from '../types';

export type Reason = 'budget_exhausted' | 'budget_timeout' | 'no_more_requests' | 'too_idle' | 'preempted';
// ---- constants (bfq-iosched.c / bfq-iosched.h) ----
export const DEFAULT_MAX_BUDGET = 16 * 1024; // bfq_default_max_budget, sectors
export const STATS_MIN_BUDGETS = 194; // bfq_stats_min_budgets
export const SEEK_THR = 800; // BFQQ_SEEK_THR, sectors
export const SECT_THR_NONROT = 64; // BFQQ_SECT_THR_NONROT
export const SEEKY_BITS = 19; // BFQQ_SEEKY: hweight32(seek_history) > 32/2 + 3
export const MIN_TT = 2 * MS; // BFQ_MIN_TT
export const ASYNC_CHARGE_FACTOR = 3;
export const HW_QUEUE_THRESHOLD = 3;
export const HW_QUEUE_SAMPLES = 32;
export const TTIME_VALID_SAMPLES = 80; // bfq_sample_valid
export const REQUESTS_WITHIN_TIMER = 120;
// Peak rate estimator (rates in sectors/µs, as the kernel's fixed point without the shift).
export const RATE_MIN_SAMPLES = 32;
export const RATE_MIN_INTERVAL = 300 * MS;
export const RATE_REF_INTERVAL = SEC;
export const RATE_MAX = 20; // 20 sectors/µs = 20 M sectors/s
/** ref_rate (5.x: {14000, 33000} << 16 sectors/µs): HDD ≈ 109 MB/s, SSD ≈ 258 MB/s. */
export const REF_RATE = { rot: 14000 / 65536, nonrot: 33000 / 65536 };
export const REF_WR_DURATION = { rot: 7000 * MS, nonrot: 2500 * MS };
// Weight raising.
export const WR_COEFF = 30;
export const WR_RT_COEFF = WR_COEFF * 100;
export const WR_RT_MAX_TIME = 300 * MS;
export const WR_MIN_IDLE_TIME = 2 * SEC;
export const WR_MIN_INTER_ARR_ASYNC = 500 * MS;
export const WR_MAX_SOFTRT_RATE = 7000; // sectors/s
export const MAX_SERVICE_FROM_WR = 120_000;
export const JIFFY = MS; // HZ = 1000
// Large burst detection.
export const BURST_INTERVAL = 180 * MS;
export const LARGE_BURST_THRESH = 8;
// Early queue merging.
export const CLOSE_THR = 8 * 1024; // BFQQ_CLOSE_THR, sectors
export const MERGE_TIME_LIMIT = 100 * MS; // bfq_merge_time_limit = HZ/10
/** bfq_activation_stable_merging / bfq_late_stable_merging (5.14+). */
export const ACTIVATION_STABLE_MERGING = 600 * MS;
export const LATE_STABLE_MERGING = 600 * MS;
// Injection (5.10).
export const WAKER_WINDOW = 200_000; // 200 µs: a completion this close before Q's arrival may have woken Q (5.10)
export const WAKER_WINDOW_61 = 4 * MS; // bfq_check_waker (6.1): 4 ms, three detections in a row
export const INJECT_RESET_PERIOD = SEC; // bfq_add_request: bfq_reset_inject_limit every second
export const INJECT_SAMPLE_MIN_GAP = 10 * MS; // minimum time after a decrease before sampling again
export const INJECT_TTIME_RESET_GAP = 100 * MS; // bfq_update_has_short_ttime
// I/O priority classes, as bfq_class_idx (ioprio_class − 1): service tree index and strict order.
export const RT_IDX = 0;
export const BE_IDX = 1;
export const IDLE_IDX = 2;
export type ClassIdx = 0 | 1 | 2;
export const CLASS_IDX: Readonly<Record<IoprioClass, ClassIdx>> = { rt: RT_IDX, be: BE_IDX, idle: IDLE_IDX };
export const CL_IDLE_TIMEOUT = 200 * MS; // BFQ_CL_IDLE_TIMEOUT = HZ / 5

/** struct bfq_service_tree: one class's active and idle entities and its virtual time. */
export interface ServiceTree {
  vtime: number;
  wsum: number;
  active: Set<Entity>;
  idle: Set<Entity>;
}
/** struct bfq_sched_data: a group's three class trees and its in-service child. */
export interface Sched {
  readonly st: [ServiceTree, ServiceTree, ServiceTree];
  inService: Entity | null;
  /** bfq_class_idle_last_service: last time the IDLE tree's turn came up. */
  idleLastService: number;
}
export interface Entity {
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
export interface Group {
  id: number;
  sched: Sched;
  /** null for the root group. */
  entity: Entity | null;
  parent: Group | null;
}
export interface Queue {
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
  /** When the queue was created (creation_time). */
  creationTime: number;
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
  /** 6.1 bfq_check_waker: candidate waker, detections in a row, time of the first one. */
  tentativeWaker: Queue | null;
  wakerDetections: number;
  wakerDetectionStarted: number;
  /** Order of insertion into the active tree (bfqd->active_list is newest first). */
  activeStamp: number;
}
/** State a context keeps across a merge (the bic's saved_* fields, bfq_bfqq_save_state). */
export interface SavedState {
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
export interface Bic {
  ctx: number;
  group: number;
  queue: Queue | null;
  saved: SavedState | null;
  /** A tentative stable merge (bic->stable_merge_bfqq, 5.14+; not with `linux_5_10`). */
  stableMergeQueue: Queue | null;
  /** Requests of the context queued or in flight (bic->requests, 5.19+). */
  requests: number;
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
  /** bfqd->hw_tag: −1 unknown, 0 no command queueing seen, 1 queueing (diagnostic). */
  hwTag(): number;
}

export const popcount = (x: number): number => {
  let v = x >>> 0;
  let c = 0;
  while (v) {
    v &= v - 1;
    c++;
  }
  return c;
};

/** struct bfq_data: the scheduler's per-device state, passed to every function as `bfqd` (the kernel's bfqd). */
export interface BfqData {
  readonly env: SchedulerEnv;
  readonly params: TunableValues;
  readonly sliceIdle: number;
  readonly timeoutSync: number;
  readonly userMaxBudget: number;
  readonly lowLatency: boolean;
  readonly backMax: number; // 1 KiB = 2 sectors
  readonly backPenalty: number;
  readonly fifoExpireSync: number;
  readonly fifoExpireAsync: number;
  readonly strict: boolean;
  /** Model Linux 5.10 where it differs from 6.1 (the `linux_5_10` tunable). */
  readonly linux510: boolean;
  readonly rot: boolean;
  readonly refRate: number;
  readonly rateDurProd: number;
  readonly groups: Map<number, Group>;
  readonly queues: Map<string, Queue>;
  readonly rqQueue: Map<BlockRequest, Queue>;
  readonly counts: Map<number, number>;
  totalQueued: number;
  inService: Queue | null;
  waitRequest: boolean;
  idleTimer: TimerHandle | null;
  lastIdlingStart: number;
  lastBudgetStart: number;
  budgetsAssigned: number;
  bfqMaxBudget: number;
  inDriver: number;
  // hw_tag: −1 unknown (the start, on every device), 0 no queueing, 1 queueing (bfq_update_hw_tag).
  hwTag: number;
  maxRqInDriver: number;
  hwTagSamples: number;
  // Peak rate estimator.
  peakRate: number;
  rateSamples: number;
  seqSamples: number;
  totSectorsDispatched: number;
  firstDispatch: number;
  lastDispatch: number;
  deltaFromFirst: number;
  lastCompletion: number;
  lastPosition: number;
  lastRqMaxSize: number;
  // Burst detection.
  burstList: Queue[];
  /** Last sync queue created, per group (bfqg->last_bfqq_created / bfqd->last_bfqq_created). */
  readonly lastQueueCreated: Map<number, Queue>;
  largeBurst: boolean;
  lastBurstTime: number;
  burstGroup: number;
  // Early queue merging.
  readonly bics: Map<string, Bic>;
  queueSerial: number;
  /** End of the last request dispatched from the in-service queue (in_serv_last_pos). */
  inServLastPos: number;
  mergeCount: number;
  splitCount: number;
  firstMergeAt: number;
  // Injection (bfqd->rqs_injected, wait_dispatch, waited_rq, last_empty_occupied_ns,
  // last_completed_rq_bfqq).
  rqsInjected: boolean;
  waitDispatch: boolean;
  waitedRq: BlockRequest | null;
  lastEmptyOccupied: number;
  lastCompletedQueue: Queue | null;
  activeStamp: number;
  readonly injected: {
    async: number;
    waker: number;
    generic: number;
    limitRaises: number;
    limitDecreases: number;
    maxLimit: number;
  };
  busyCount: number;
}
