/**
 * CFQ's per-group service trees (block/cfq-iosched.c, Linux 4.19): cfq_service_tree_add
 * (serviceTreeAdd, the rb_key of a queue), cfq_resort_rr_list, cfq_add_cfqq_rr / cfq_del_cfqq_rr,
 * st_for / cfqq_type (stFor, qType), cfq_group_busy_queues_wl / cfq_group_busy_async_queues
 * (busyWl, busyAsync), cfq_choose_wl_type and choose_wl_class_and_type (chooseWlType,
 * chooseWorkload: the workload and its slice).
 */
import { MS } from '../../core/time';
import { insertAt, removeItem } from './array';
import { prioTreeAdd, prioTreeRemove } from './cooperator';
import { groupNotifyQueueAdd, groupNotifyQueueDel, groupSlice } from './group';
import { prioSlice } from './slice';
import {
  ASYNC,
  BE_WL,
  type CfqData,
  type Cfqq,
  type Group,
  IDLE_DELAY,
  IDLE_WL,
  JIFFY,
  MIN_TT,
  RT_WL,
  type ServiceTree,
  SYNC,
  SYNC_NOIDLE,
  type WlClass,
  type WlType,
} from './types';

export function qType(q: Cfqq): WlType {
  return !q.sync ? ASYNC : !q.idleWindow ? SYNC_NOIDLE : SYNC;
}

/** st_for(): the service tree of a class and workload type (the idle class has one). */
export function stFor(g: Group, cls: WlClass, type: WlType): ServiceTree {
  return cls === IDLE_WL ? g.idleTree : g.trees[cls][type];
}

/** cfq_group_busy_queues_wl(): busy queues of one class in the group. */
export function busyWl(cls: WlClass, g: Group): number {
  return cls === IDLE_WL
    ? g.idleTree.q.length
    : g.trees[cls][0].q.length + g.trees[cls][1].q.length + g.trees[cls][2].q.length;
}

/** cfqg_busy_async_queues(). */
export function busyAsync(g: Group) {
  return g.trees[RT_WL][ASYNC].q.length + g.trees[BE_WL][ASYNC].q.length;
}

export function treeInsert(st: ServiceTree, q: Cfqq) {
  const a = st.q;
  let i = a.length;
  while (i > 0 && a[i - 1].rbKey > q.rbKey) i--;
  insertAt(a, i, q);
}

export function treeRemove(q: Cfqq) {
  const st = q.st;
  if (!st) return;
  removeItem(st.q, q);
  q.st = null;
}

export function serviceTreeAdd(cfqd: CfqData, q: Cfqq, addFront: boolean) {
  const st = stFor(q.group, q.cls, qType(q));
  const t = cfqd.env.clock.now;
  let key: number;
  if (q.cls === IDLE_WL) {
    // An idle-class queue goes CFQ_IDLE_DELAY behind the last queue of the idle tree.
    const last = st.q[st.q.length - 1];
    key = IDLE_DELAY + (last && last !== q ? last.rbKey : t);
  } else if (!addFront) {
    const offset = (q.group.nrCfqq - 1) * (prioSlice(cfqd, true, 0) - prioSlice(cfqd, q.sync, q.prio));
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
  groupNotifyQueueAdd(cfqd, q.group);
}

/** cfq_resort_rr_list(): re-key a queue on the round robin in its service tree and prio tree. */
export function resortRrList(cfqd: CfqData, q: Cfqq) {
  if (!q.onRr) return;
  serviceTreeAdd(cfqd, q, false);
  prioTreeAdd(cfqd, q);
}

export function addCfqqRr(cfqd: CfqData, q: Cfqq) {
  q.onRr = true;
  cfqd.busyQueues++;
  if (q.sync) cfqd.busySyncQueues++;
  resortRrList(cfqd, q);
}

export function delCfqqRr(cfqd: CfqData, q: Cfqq) {
  q.onRr = false;
  treeRemove(q);
  prioTreeRemove(cfqd, q);
  groupNotifyQueueDel(cfqd, q.group);
  cfqd.busyQueues--;
  if (q.sync) cfqd.busySyncQueues--;
}

/** cfq_choose_wl_type()'s scan order: ASYNC_WORKLOAD, SYNC_NOIDLE_WORKLOAD, SYNC_WORKLOAD. */
const WL_TYPE_ORDER: readonly WlType[] = [ASYNC, SYNC_NOIDLE, SYNC];

export function chooseWlType(g: Group, cls: WlClass): WlType {
  let best: WlType = SYNC_NOIDLE;
  let lowest = 0;
  let valid = false;
  for (let k = 0; k < WL_TYPE_ORDER.length; k++) {
    const i = WL_TYPE_ORDER[k];
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
export function chooseWorkload(cfqd: CfqData, g: Group) {
  const t = cfqd.env.clock.now;
  const original = cfqd.servingClass;
  if (busyWl(RT_WL, g)) cfqd.servingClass = RT_WL;
  else if (busyWl(BE_WL, g)) cfqd.servingClass = BE_WL;
  else {
    cfqd.servingClass = IDLE_WL;
    cfqd.workloadExpires = t + JIFFY;
    return;
  }
  const cls = cfqd.servingClass;
  if (original === cls && stFor(g, cls, cfqd.servingType).q.length && !(t > cfqd.workloadExpires)) return;
  cfqd.servingType = chooseWlType(g, cls);
  const count = stFor(g, cls, cfqd.servingType).q.length;
  const busy = busyWl(cls, g);
  const gs = groupSlice(cfqd, g);
  let slice = Math.floor((gs * count) / Math.max(g.busyQueuesAvg[cls], busy));
  if (cfqd.servingType === ASYNC) {
    const tmp = Math.floor((cfqd.targetLatency * busyAsync(g)) / Math.max(1, cfqd.busyQueues));
    slice = Math.min(slice, tmp);
    slice = Math.floor((slice * cfqd.sliceAsync) / cfqd.sliceSync);
  } else slice = Math.max(slice, 2 * cfqd.sliceIdle);
  slice = Math.max(slice, MIN_TT);
  cfqd.workloadExpires = t + slice;
}
