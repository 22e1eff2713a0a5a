/**
 * anticipatory: block/as-iosched.c as of Linux 2.6.32 (its last version), HZ=1000.
 *
 * Deadline-like batches of SYNC (reads + sync writes) and ASYNC requests with a one-way elevator
 * that allows short backward seeks, plus anticipation: after a sync request of process P has been
 * dispatched, the scheduler may refuse to dispatch anything else and wait (antic_expire) for P's
 * next, nearby request, based on per-process think-time and seek-distance statistics
 * (as_io_context). See docs/schedulers/anticipatory.md for what is simplified.
 */
import type { TunableValues } from '../../common/spec/tunables';
import type { TimerHandle } from '../core/sim';
import { MS } from '../core/time';
import { type BlockRequest, endSector } from '../io/request';
import { CtxCounts, DirQueue } from './sortlist';
import type { IoScheduler, SchedulerEnv } from './types';

/** Kernel indices: BLK_RW_ASYNC = 0, BLK_RW_SYNC = 1. */
const ASYNC = 0;
const SYNC = 1;
type Dir = typeof ASYNC | typeof SYNC;
const dirOf = (rq: BlockRequest): Dir => (rq.sync ? SYNC : ASYNC);

/** Maximum distance (sectors) the head goes backward for a request, and its cost factor. */
const MAXBACK = 1024 * 1024;
const BACK_PENALTY = 2;
/** Think times are clamped below this (jiffies = ms). */
const MAX_THINKTIME = 20;

enum Antic {
  OFF = 0,
  /** The last sync request of P has not completed yet. */
  WAIT_REQ = 1,
  /** P's request completed at antic_start; the timer runs until antic_start + antic_expire. */
  WAIT_NEXT = 2,
  /** Timed out or a candidate was found: dispatch normally until the next dispatch resets it. */
  FINISHED = 3,
}

/** as_io_context: per-process statistics (fixed point, 1.0 = 256, as the kernel). */
interface Aic {
  ctx: number;
  /** AS_TASK_RUNNING: cleared when the process exits (contexts never exit in the simulator). */
  running: boolean;
  /** AS_TASK_IOSTARTED: has queued a sync request. */
  ioStarted: boolean;
  /** AS_TASK_IORUNNING: a sync request of it has completed. */
  ioRunning: boolean;
  nrQueued: number;
  /** Dispatched but not yet taken by the driver: always 0 here (the device takes it at once). */
  nrDispatched: number;
  lastEndRequest: number; // jiffies
  ttimeTotal: number;
  ttimeSamples: number;
  ttimeMean: number; // jiffies
  lastRequestPos: number;
  seekTotal: number;
  seekSamples: number;
  seekMean: number; // sectors
}

export function createAnticipatory(env: SchedulerEnv, params: TunableValues): IoScheduler {
  const ms = (v: number | undefined, d: number) => Math.round((v ?? d) * MS);
  const fifoExpire = [ms(params.write_expire_ms, 250), ms(params.read_expire_ms, 125)];
  const batchExpire = [ms(params.write_batch_expire_ms, 125), ms(params.read_batch_expire_ms, 500)];
  // antic_expire in jiffies (msecs_to_jiffies rounds up); 0 disables anticipation.
  const anticExpireJ = Math.ceil(params.antic_expire_ms ?? 6);
  const anticExpire = anticExpireJ * MS;
  const jiffies = () => Math.floor(env.now() / MS);

  const dq: [DirQueue, DirQueue] = [new DirQueue(), new DirQueue()];
  const nextRq: [BlockRequest | null, BlockRequest | null] = [null, null];
  const lastSector = [0, 0];
  const lastCheckFifo = [0, 0];
  let batchDir: Dir = SYNC;
  let changedBatch = false;
  let newBatch = false;
  let currentBatchExpires = env.now() + batchExpire[SYNC];
  // write_batch_expire / 10, in jiffies, at least 2.
  let writeBatchCount = Math.max(2, Math.floor(batchExpire[ASYNC] / MS / 10));
  let currentWriteCount = 0;
  let writeBatchIdled = false;

  let anticStatus = Antic.OFF;
  let anticStart = 0; // ns
  let anticTimer: TimerHandle | null = null;
  /** The process anticipated on (ad->io_context): the owner of the last sync dispatch, or -1. */
  let ioContext = -1;
  let iocFinished = false;
  /** Dispatched and not yet completed (ad->nr_dispatched). */
  let nrDispatched = 0;

  // Priors for processes without samples, and exit statistics (0..256).
  let exitProb = 0;
  let exitNoCoop = 0;
  let newTtimeTotal = 0;
  let newTtimeMean = 0;
  let newSeekTotal = 0;
  let newSeekMean = 0;

  const aics = new Map<number, Aic>();
  const counts = new CtxCounts();
  let lastService = -2;

  const getAic = (ctx: number): Aic => {
    let a = aics.get(ctx);
    if (!a) {
      a = {
        ctx,
        running: true,
        ioStarted: false,
        ioRunning: false,
        nrQueued: 0,
        nrDispatched: 0,
        lastEndRequest: 0,
        ttimeTotal: 0,
        ttimeSamples: 0,
        ttimeMean: 0,
        lastRequestPos: 0,
        seekTotal: 0,
        seekSamples: 0,
        seekMean: 0,
      };
      aics.set(ctx, a);
    }
    return a;
  };

  // ---- elevator order -------------------------------------------------------------------------

  /** as_choose_req: the better of two same-direction requests from the head (last_sector). */
  const chooseReq = (rq1: BlockRequest | null, rq2: BlockRequest | null): BlockRequest | null => {
    if (rq1 === null || rq1 === rq2) return rq2;
    if (rq2 === null) return rq1;
    const last = lastSector[dirOf(rq1)];
    const s1 = rq1.sector;
    const s2 = rq2.sector;
    let d1 = 0;
    let d2 = 0;
    let w1 = false;
    let w2 = false;
    if (s1 >= last) d1 = s1 - last;
    else if (s1 + MAXBACK >= last) d1 = (last - s1) * BACK_PENALTY;
    else w1 = true;
    if (s2 >= last) d2 = s2 - last;
    else if (s2 + MAXBACK >= last) d2 = (last - s2) * BACK_PENALTY;
    else w2 = true;
    if (!w1 && w2) return rq1;
    if (!w2 && w1) return rq2;
    if (w1 && w2) return s1 <= s2 ? rq1 : rq2;
    if (d1 < d2) return rq1;
    if (d2 < d1) return rq2;
    return s1 >= s2 ? rq1 : rq2;
  };

  /** as_find_next_rq: the better of `last`'s sector neighbours (wrapping to the lowest at the end). */
  const findNextRq = (last: BlockRequest): BlockRequest | null => {
    const sort = dq[dirOf(last)].sort;
    const prev = sort.prev(last);
    let next = sort.next(last);
    if (!next) {
      const first = sort.first();
      if (first && first !== last) next = first;
    }
    return chooseReq(next, prev);
  };

  // ---- anticipation state machine -------------------------------------------------------------

  const kickLater = () => env.kick();

  const startIdle = () => env.trace.idleStart(ioContext);

  /** as_antic_waitnext: P's request is done; wait until antic_start + antic_expire. */
  const anticWaitNext = () => {
    env.cancelTimer(anticTimer);
    anticTimer = env.setTimer(Math.max(0, anticStart + anticExpire - env.now()), anticTimeout);
    anticStatus = Antic.WAIT_NEXT;
  };

  /** as_antic_waitreq: start anticipating (timing starts when P's request completes). */
  const anticWaitReq = () => {
    if (anticStatus === Antic.OFF) {
      startIdle();
      if (ioContext < 0 || iocFinished) anticWaitNext();
      else anticStatus = Antic.WAIT_REQ;
    }
  };

  /** as_antic_stop: a good request arrived; stop waiting and re-run dispatch. */
  const anticStop = (paidOff: boolean) => {
    if (anticStatus === Antic.WAIT_REQ || anticStatus === Antic.WAIT_NEXT) {
      if (anticStatus === Antic.WAIT_NEXT) env.cancelTimer(anticTimer);
      anticTimer = null;
      anticStatus = Antic.FINISHED;
      env.trace.idleEnd(ioContext, paidOff);
      kickLater();
    }
  };

  /** as_antic_timeout. */
  function anticTimeout(): void {
    anticTimer = null;
    if (anticStatus === Antic.WAIT_REQ || anticStatus === Antic.WAIT_NEXT) {
      const aic = getAic(ioContext);
      anticStatus = Antic.FINISHED;
      env.trace.idleEnd(ioContext, false);
      kickLater();
      if (aic.ttimeSamples === 0) exitProb = Math.floor((7 * exitProb + 256) / 8);
      if (!aic.running) exitNoCoop = Math.floor((7 * exitNoCoop + 256) / 8);
    }
  }

  const anticExpired = () => env.now() - anticStart >= anticExpire;

  // ---- per-process history --------------------------------------------------------------------

  const updateThinktime = (aic: Aic, ttime: number) => {
    if (aic.ttimeSamples === 0) {
      newTtimeTotal = Math.floor((7 * newTtimeTotal + 256 * ttime) / 8);
      newTtimeMean = Math.floor(newTtimeTotal / 256);
      exitProb = Math.floor((7 * exitProb) / 8);
    }
    aic.ttimeSamples = Math.floor((7 * aic.ttimeSamples + 256) / 8);
    aic.ttimeTotal = Math.floor((7 * aic.ttimeTotal + 256 * ttime) / 8);
    aic.ttimeMean = Math.floor((aic.ttimeTotal + 128) / aic.ttimeSamples);
  };

  const updateSeekdist = (aic: Aic, sdist0: number) => {
    let sdist = sdist0;
    if (aic.seekSamples === 0) {
      newSeekTotal = Math.floor((7 * newSeekTotal + 256 * sdist) / 8);
      newSeekMean = Math.floor(newSeekTotal / 256);
    }
    // Don't let the odd far fragment blow up the mean.
    if (aic.seekSamples <= 60) sdist = Math.min(sdist, aic.seekMean * 4 + 2 * 1024 * 1024);
    else sdist = Math.min(sdist, aic.seekMean * 4 + 2 * 1024 * 64);
    aic.seekSamples = Math.floor((7 * aic.seekSamples + 256) / 8);
    aic.seekTotal = Math.floor((7 * aic.seekTotal + 256 * sdist) / 8);
    aic.seekMean = Math.floor((aic.seekTotal + Math.floor(aic.seekSamples / 2)) / aic.seekSamples);
  };

  /** as_update_iohist: think time and seek distance, on each queued sync request. */
  const updateIohist = (aic: Aic, rq: BlockRequest) => {
    if (!rq.sync) return;
    const inFlight = aic.nrQueued + aic.nrDispatched;
    if (aic.ioRunning || aic.ioStarted) {
      let thinktime = 0;
      if (aic.ioRunning && inFlight === 0)
        thinktime = Math.min(jiffies() - aic.lastEndRequest, MAX_THINKTIME - 1);
      updateThinktime(aic, thinktime);
      updateSeekdist(aic, Math.abs(rq.sector - aic.lastRequestPos));
    }
    aic.lastRequestPos = endSector(rq);
    aic.ioStarted = true;
  };

  /** as_close_req: is `rq` close to where P's batch left the head? */
  const closeReq = (aic: Aic, rq: BlockRequest): boolean => {
    const last = lastSector[batchDir];
    const next = rq.sector;
    const delay = anticStatus === Antic.OFF || !iocFinished ? 0 : Math.floor((env.now() - anticStart) / MS);
    let delta: number;
    if (delay === 0) delta = 8192;
    else if (delay <= 20 && delay <= anticExpireJ) delta = 8192 * 2 ** delay;
    else return true;
    if (last <= next + Math.floor(delta / 2) && next <= last + delta) return true;
    const s = Math.abs(next - last);
    return (aic.seekSamples === 0 ? newSeekMean : aic.seekMean) > s;
  };

  /**
   * as_can_break_anticipation: 0 = keep anticipating; otherwise why not (1 = P's own request,
   * 2 = a cooperating close request, 3 = other reasons: P not worth waiting for).
   */
  const canBreak = (rq: BlockRequest | null): 0 | 1 | 2 | 3 => {
    if (rq && rq.ctx === ioContext) return 1;
    if (iocFinished && anticExpired()) return 3;
    const aic = aics.get(ioContext);
    if (!aic) return 0;
    if (aic.nrQueued > 0) return 3;
    if (aic.nrDispatched > 0) return 3;
    if (rq?.sync && closeReq(aic, rq)) {
      // A close request of another process: it cooperates with P and feeds P's history.
      if (!aic.running) {
        if (aic.ttimeSamples === 0) exitProb = Math.floor((7 * exitProb + 256) / 8);
        exitNoCoop = Math.floor((7 * exitNoCoop) / 8);
      }
      updateIohist(aic, rq);
      return 2;
    }
    if (!aic.running) {
      if (aic.ttimeSamples === 0) exitProb = Math.floor((7 * exitProb + 256) / 8);
      if (exitNoCoop > 128) return 3;
    }
    if (aic.ttimeSamples === 0) {
      if (newTtimeMean > anticExpireJ) return 3;
      if (exitProb * exitNoCoop > 128 * 256) return 3;
    } else if (aic.ttimeMean > anticExpireJ) return 3;
    return 0;
  };

  /** as_can_anticipate: should we hold `rq` back and wait for P? */
  const canAnticipate = (rq: BlockRequest | null): boolean => {
    if (ioContext < 0) return false; // the last dispatch was async
    if (anticStatus === Antic.FINISHED) return false;
    return canBreak(rq) === 0;
  };

  // ---- queue bookkeeping ----------------------------------------------------------------------

  /** as_remove_queued_request. */
  const removeQueued = (rq: BlockRequest) => {
    const dir = dirOf(rq);
    const aic = aics.get(rq.ctx);
    if (aic) aic.nrQueued--;
    if (nextRq[dir] === rq) nextRq[dir] = findNextRq(rq);
    dq[dir].remove(rq);
    counts.dec(rq.ctx);
  };

  /** as_put_io_context: a sync request's process is "running I/O" since now. */
  const putIoContext = (rq: BlockRequest) => {
    if (!rq.sync) return;
    const aic = aics.get(rq.ctx);
    if (!aic) return;
    aic.ioRunning = true;
    aic.lastEndRequest = jiffies();
  };

  /** as_merged_requests: `next` is absorbed into `rq` (earlier deadline kept). */
  const mergeRequests = (q: DirQueue, rq: BlockRequest, next: BlockRequest) => {
    q.inheritDeadline(rq, next);
    removeQueued(next);
    putIoContext(next);
    q.absorb(rq, next);
  };

  /** as_update_rq: keep next_rq current; does the new request end anticipation? */
  const updateRq = (rq: BlockRequest) => {
    const dir = dirOf(rq);
    nextRq[dir] = chooseReq(rq, nextRq[dir]);
    if (anticStatus === Antic.WAIT_REQ || anticStatus === Antic.WAIT_NEXT) {
      const why = canBreak(rq);
      if (why) anticStop(why === 1 || why === 2);
    }
  };

  /** as_move_to_dispatch. */
  const moveToDispatch = (rq: BlockRequest): BlockRequest => {
    const dir = dirOf(rq);
    anticStop(false);
    anticStatus = Antic.OFF;
    lastSector[dir] = endSector(rq);
    if (dir === SYNC) ioContext = rq.ctx;
    else {
      ioContext = -1;
      if (currentWriteCount !== 0) currentWriteCount--;
    }
    iocFinished = false;
    nextRq[dir] = findNextRq(rq);
    removeQueued(rq);
    nrDispatched++;
    if (rq.ctx !== lastService) {
      lastService = rq.ctx;
      env.trace.serviceStart(rq.ctx);
    }
    return rq;
  };

  /** as_fifo_expired: rate-limited to one look per fifo_expire interval and direction. */
  const fifoExpired = (dir: Dir): boolean => {
    const now = env.now();
    if (Math.abs(now - lastCheckFifo[dir]) < fifoExpire[dir]) return false;
    lastCheckFifo[dir] = now;
    const head = dq[dir].fifoHead();
    return head !== null && now > dq[dir].deadline(head);
  };

  /** as_batch_expired. */
  const batchExpired = (): boolean => {
    if (changedBatch || newBatch) return false;
    if (batchDir === SYNC) return env.now() > currentBatchExpires;
    return env.now() > currentBatchExpires || currentWriteCount === 0;
  };

  /** update_write_batch: autotune the write batch size from the last write batch's length. */
  const updateWriteBatch = () => {
    const batch = batchExpire[ASYNC];
    const writeTime = Math.max(0, env.now() - currentBatchExpires + batch);
    if (writeTime > batch && !writeBatchIdled) {
      if (writeTime > batch * 3) writeBatchCount = Math.floor(writeBatchCount / 2);
      else writeBatchCount--;
    } else if (writeTime < batch && currentWriteCount === 0) {
      if (batch > writeTime * 3) writeBatchCount *= 2;
      else writeBatchCount++;
    }
    if (writeBatchCount < 1) writeBatchCount = 1;
  };

  /** as_dispatch_request, for one request. */
  const dispatchRequest = (): BlockRequest | null => {
    const reads = dq[SYNC].size > 0;
    const writes = dq[ASYNC].size > 0;

    // The write batch was uncontended, so its length can't be timed.
    if (batchDir === ASYNC && !reads && (currentWriteCount === 0 || !writes)) writeBatchIdled = true;

    if (
      !(reads || writes) ||
      anticStatus === Antic.WAIT_REQ ||
      anticStatus === Antic.WAIT_NEXT ||
      changedBatch
    )
      return null;

    let rq: BlockRequest | null = null;
    let fifoFired = false;
    let chosen = false;
    if (!(reads && writes && batchExpired())) {
      // The batch is still running, or only one direction has requests.
      rq = nextRq[batchDir];
      if (batchDir === SYNC && anticExpire > 0) {
        if (fifoExpired(SYNC)) fifoFired = true;
        else if (canAnticipate(rq)) {
          anticWaitReq();
          return null;
        }
      }
      if (!fifoFired && rq) {
        if (reads && !writes) currentBatchExpires = env.now() + batchExpire[SYNC];
        chosen = true;
      }
    }

    if (!fifoFired && !chosen) {
      // Not running a batch: choose a direction; a read batch is followed by a write batch.
      if (reads && !(writes && batchDir === SYNC)) {
        if (batchDir === ASYNC) changedBatch = true;
        batchDir = SYNC;
        rq = dq[SYNC].fifoHead();
        lastCheckFifo[SYNC] = env.now();
      } else {
        if (batchDir === SYNC) {
          changedBatch = true;
          newBatch = false;
        }
        batchDir = ASYNC;
        currentWriteCount = writeBatchCount;
        writeBatchIdled = false;
        rq = dq[ASYNC].fifoHead();
        lastCheckFifo[ASYNC] = env.now();
      }
      // dispatch_request: an expired request is served first.
      if (fifoExpired(batchDir)) fifoFired = true;
    } else if (chosen && fifoExpired(batchDir)) fifoFired = true;

    if (fifoFired) rq = dq[batchDir].fifoHead();

    if (changedBatch) {
      // Wait for the old batch to drain from the device before starting the new one.
      if (nrDispatched > 0) return null;
      if (batchDir === ASYNC) currentBatchExpires = env.now() + batchExpire[ASYNC];
      else newBatch = true;
      changedBatch = false;
    }
    return rq ? moveToDispatch(rq) : null;
  };

  return {
    name: 'anticipatory',

    insert(rq) {
      const dir = dirOf(rq);
      const q = dq[dir];
      // Bio merges (no as_add_request, so no history update): back merge through the hash,
      // then as_merge's front merge; then the block layer's request-to-request merge attempt.
      if (q.mergeBio(rq, true, mergeRequests)) return;
      // as_add_request.
      const aic = getAic(rq.ctx);
      updateIohist(aic, rq);
      aic.nrQueued++;
      rq.insertedAt = env.now();
      q.add(rq, env.now() + fifoExpire[dir]);
      counts.inc(rq.ctx);
      updateRq(rq);
    },

    dispatch() {
      return dispatchRequest();
    },

    completed(rq) {
      // as_completed_request.
      if (changedBatch && nrDispatched === 1) {
        currentBatchExpires = env.now() + batchExpire[batchDir];
        kickLater();
        changedBatch = false;
        if (batchDir === SYNC) newBatch = true;
      }
      if (nrDispatched > 0) nrDispatched--;
      // A batch is timed from its first completion (helps devices with deep queues).
      if (newBatch && batchDir === dirOf(rq)) {
        updateWriteBatch();
        currentBatchExpires = env.now() + batchExpire[SYNC];
        newBatch = false;
      }
      if (ioContext >= 0 && ioContext === rq.ctx) {
        anticStart = env.now();
        iocFinished = true;
        if (anticStatus === Antic.WAIT_REQ) anticWaitNext();
      }
      putIoContext(rq);
    },

    queued() {
      return dq[SYNC].size + dq[ASYNC].size;
    },

    queueLengths() {
      return counts.map;
    },
  };
}
