/**
 * CFQ slices and idling (block/cfq-iosched.c, Linux 4.19): cfq_prio_slice / cfq_prio_to_maxrq,
 * cfq_scaled_cfqq_slice (scaledSlice), cfq_slice_used, iops_mode, __cfq_update_io_thinktime and
 * cfq_update_idle_window (updateTtime, updateIdleWindow), cfq_should_idle (shouldIdle),
 * cfq_arm_slice_timer (armSliceTimer), cfq_idle_slice_timer (onIdleTimer),
 * __cfq_set_active_queue (setActive) and __cfq_slice_expired / cfq_slice_expired (sliceExpired).
 */
import { groupAvgQueues, groupServed, groupSlice } from './group';
import { traceCtx } from './iosched';
import { delCfqqRr, resortRrList } from './service-tree';
import {
  type CfqData,
  type Cfqq,
  type Cic,
  IDLE_WL,
  IOPRIO_BE_NR,
  RT_WL,
  SLICE_SCALE,
  sampleValid,
  seeky,
  type TTime,
} from './types';

export function prioSlice(cfqd: CfqData, sync: boolean, prio: number) {
  const base = sync ? cfqd.sliceSync : cfqd.sliceAsync;
  return base + Math.floor(base / SLICE_SCALE) * (4 - prio);
}

export function prioToMaxRq(cfqd: CfqData, q: Cfqq) {
  return 2 * cfqd.sliceAsyncRq * (IOPRIO_BE_NR - q.prio);
}

/** cfq_scaled_cfqq_slice(): cfq_prio_slice by level (the same for every class in 4.19). */
export function scaledSlice(cfqd: CfqData, q: Cfqq): number {
  let slice = prioSlice(cfqd, q.sync, q.prio);
  if (cfqd.lowLatency) {
    const iq = groupAvgQueues(q.group, q.cls === RT_WL);
    const expect = cfqd.sliceSync * iq;
    const gs = groupSlice(cfqd, q.group);
    if (expect > gs) {
      const lowSlice = Math.min(slice, Math.floor((2 * cfqd.sliceIdle * slice) / cfqd.sliceSync));
      slice = Math.max(Math.floor((slice * gs) / expect), lowSlice);
    }
  }
  return slice;
}

export function sliceUsed(cfqd: CfqData, q: Cfqq) {
  return !q.sliceNew && cfqd.env.clock.now >= q.sliceEnd;
}

export function iopsMode(cfqd: CfqData) {
  return cfqd.sliceIdle === 0 && cfqd.hwTag !== 0;
}

export function updateTtime(cfqd: CfqData, t: TTime, idle: number) {
  const elapsed = Math.min(cfqd.env.clock.now - t.lastEnd, 2 * idle);
  t.samples = Math.floor((7 * t.samples + 256) / 8);
  t.total = Math.floor((7 * t.total + 256 * elapsed) / 8);
  t.mean = Math.floor((t.total + 128) / t.samples);
}

export function ttimeBig(cfqd: CfqData, t: TTime, forGroup: boolean) {
  return sampleValid(t) && t.mean > (forGroup ? cfqd.groupIdle : cfqd.sliceIdle);
}

export function updateIdleWindow(cfqd: CfqData, q: Cfqq, cic: Cic) {
  // Don't idle for async or idle io prio class.
  if (!q.sync || q.cls === IDLE_WL) return;
  if (q.sorted.length >= 4) q.deep = true;
  // No request here is "noidle": O_DIRECT sync writes carry REQ_IDLE in 4.19.
  if (cfqd.sliceIdle === 0 || (!q.deep && seeky(q))) q.idleWindow = false;
  else if (sampleValid(cic.ttime)) q.idleWindow = cic.ttime.mean <= cfqd.sliceIdle;
}

export function shouldIdle(cfqd: CfqData, q: Cfqq): boolean {
  if (cfqd.sliceIdle === 0) return false;
  // We never do for idle class queues.
  if (q.cls === IDLE_WL) return false;
  if (q.idleWindow && !(cfqd.nonrot && cfqd.hwTag !== 0)) return true;
  const st = q.st;
  if (!st) return false;
  return st.q.length === 1 && q.sync && !ttimeBig(cfqd, st.ttime, false);
}

export function endIdleTrace(cfqd: CfqData, paidOff: boolean) {
  if (cfqd.idleTraceCtx === null) return;
  const c = cfqd.idleTraceCtx;
  cfqd.idleTraceCtx = null;
  cfqd.env.trace.idleEnd(c, paidOff);
}

export function delTimer(cfqd: CfqData) {
  if (cfqd.idleTimer) {
    cfqd.env.cancelTimer(cfqd.idleTimer);
    cfqd.idleTimer = null;
  }
  endIdleTrace(cfqd, false);
}

export function timerPending(cfqd: CfqData) {
  return cfqd.idleTimer !== null && !cfqd.idleTimer.done;
}

export function onIdleTimer(cfqd: CfqData) {
  cfqd.idleTimer = null;
  endIdleTrace(cfqd, false);
  const q = cfqd.active;
  let timedOut = true;
  if (q) {
    timedOut = false;
    if (q.mustDispatch) {
      cfqd.env.kick();
      return;
    }
    if (!sliceUsed(cfqd, q)) {
      if (!cfqd.busyQueues) return;
      if (q.sorted.length) {
        cfqd.env.kick();
        return;
      }
      q.deep = false;
    }
  }
  sliceExpired(cfqd, timedOut);
  cfqd.env.kick();
}

export function armSliceTimer(cfqd: CfqData) {
  const q = cfqd.active;
  if (!q) return;
  const t = cfqd.env.clock.now;
  if (cfqd.nonrot && cfqd.hwTag !== 0 && !cfqd.groupIdle) return;
  let gIdle = 0;
  if (!shouldIdle(cfqd, q)) {
    if (cfqd.groupIdle) gIdle = cfqd.groupIdle;
    else return;
  }
  if (q.dispatched) return;
  const cic = cfqd.activeCic;
  if (!cic) return;
  if (sampleValid(cic.ttime) && q.sliceEnd - t < cic.ttime.mean) return;
  if (gIdle && (q.group.nrCfqq > 1 || (q.st !== null && ttimeBig(cfqd, q.st.ttime, true)))) return;
  q.waitRequest = true;
  const sl = gIdle ? gIdle : cfqd.sliceIdle;
  if (cfqd.idleTimer) cfqd.env.cancelTimer(cfqd.idleTimer);
  // mod_timer(&cfqd->idle_slice_timer): the one handle, cancelled or fired by now, armed again.
  const h = cfqd.idleTimerHandle;
  cfqd.idleTimer = h === null ? cfqd.env.setTimer(sl, cfqd.onIdleTimer) : cfqd.env.resetTimer(h, sl);
  cfqd.idleTimerHandle = cfqd.idleTimer;
  endIdleTrace(cfqd, false);
  cfqd.idleTraceCtx = traceCtx(q);
  cfqd.env.trace.idleStart(cfqd.idleTraceCtx);
}

export function setActive(cfqd: CfqData, q: Cfqq | null): Cfqq | null {
  if (q) {
    q.sliceStart = -1;
    q.dispatchStart = cfqd.env.clock.now;
    q.allocatedSlice = 0;
    q.sliceEnd = 0;
    q.sliceDispatch = 0;
    q.waitRequest = false;
    q.mustDispatch = false;
    q.fifoExpire = false;
    q.sliceNew = true;
    delTimer(cfqd);
  }
  cfqd.active = q;
  const c = q ? traceCtx(q) : -1;
  if (q || cfqd.lastTraced !== -1) cfqd.env.trace.serviceStart(c);
  cfqd.lastTraced = c;
  return q;
}

export function sliceExpired(cfqd: CfqData, timedOut: boolean) {
  const q = cfqd.active;
  if (!q) return;
  if (q.waitRequest) delTimer(cfqd);
  q.waitRequest = false;
  q.waitBusy = false;
  // A shared queue whose processes no longer issue I/O close together is split again.
  if (q.coop && seeky(q)) q.splitCoop = true;
  if (timedOut) q.sliceResid = q.sliceNew ? scaledSlice(cfqd, q) : q.sliceEnd - cfqd.env.clock.now;
  groupServed(cfqd, q.group, q);
  if (q.onRr && q.sorted.length === 0) delCfqqRr(cfqd, q);
  resortRrList(cfqd, q);
  cfqd.active = null;
  cfqd.activeCic = null;
  if (!cfqd.busyQueues && cfqd.lastTraced !== -1) {
    cfqd.lastTraced = -1;
    cfqd.env.trace.serviceStart(-1);
  }
}
