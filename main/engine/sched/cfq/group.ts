/**
 * CFQ groups (block/cfq-iosched.c, Linux 4.19, CONFIG_CFQ_GROUP_IOSCHED): cfq_lookup_cfqg /
 * cfq_init_cfqg_base (getGroup), the flat group service tree ordered by vdisktime
 * (cfq_group_service_tree_add / _del, groupTreeInsert), cfq_group_notify_queue_add / _del, the
 * hierarchical vfraction, cfq_group_slice (groupSlice), cfq_group_get_avg_queues (groupAvgQueues),
 * cfq_cfqq_slice_usage / cfq_group_served (sliceUsage, groupServed) and cfq_get_next_cfqg
 * (chooseGroup).
 */
import { timeField } from '../../core/time';
import { insertAt, removeItem } from './array';
import { busyAsync, busyWl, chooseWorkload } from './service-tree';
import { iopsMode } from './slice';
import {
  BE_WL,
  type CfqData,
  type Cfqq,
  FIXED_ONE,
  type Group,
  IDLE_DELAY,
  JIFFY,
  newTtime,
  RT_WL,
  type ServiceTree,
  SYNC,
  VD_SCALE,
} from './types';

export function getGroup(cfqd: CfqData, id: number): Group {
  const g0 = cfqd.groups.get(id);
  if (g0) return g0;
  const info = cfqd.env.groupInfo(id);
  const parent = info.parent >= 0 && id !== 0 ? getGroup(cfqd, info.parent) : null;
  const tree = (): ServiceTree => ({ q: [], ttime: newTtime(cfqd.env.clock.now) });
  const g: Group = {
    id,
    parent,
    weight: info.weight,
    leafWeight: info.weight,
    nrActive: 0,
    childrenWeight: 0,
    vfraction: 0,
    vdisktime: timeField(0), // a double from the start (core/time.ts)
    onTree: false,
    nrCfqq: 0,
    busyQueuesAvg: [0, 0],
    trees: [
      [tree(), tree(), tree()],
      [tree(), tree(), tree()],
    ],
    idleTree: tree(),
    ttime: newTtime(cfqd.env.clock.now),
    savedWlSlice: 0,
    savedWlType: SYNC,
    savedWlClass: BE_WL,
    dispatched: 0,
    busyTime: timeField(0),
  };
  cfqd.groups.set(id, g);
  return g;
}

export function groupSlice(cfqd: CfqData, g: Group) {
  return Math.floor((cfqd.targetLatency * g.vfraction) / FIXED_ONE);
}

/** cfq_group_get_avg_queues(): averaged busy queues of the RT or BE class. */
export function groupAvgQueues(g: Group, rt: boolean): number {
  const c = rt ? RT_WL : BE_WL;
  const busy = busyWl(c, g);
  const minQ = Math.min(g.busyQueuesAvg[c], busy);
  const maxQ = Math.max(g.busyQueuesAvg[c], busy);
  g.busyQueuesAvg[c] = Math.floor((3 * maxQ + minQ + 2) / 4);
  return g.busyQueuesAvg[c];
}

export function groupTreeInsert(cfqd: CfqData, g: Group) {
  const key = g.vdisktime - cfqd.minVdisktime;
  let i = cfqd.groupTree.length;
  while (i > 0 && cfqd.groupTree[i - 1].vdisktime - cfqd.minVdisktime > key) i--;
  insertAt(cfqd.groupTree, i, g);
  g.onTree = true;
}

export function groupTreeAdd(cfqd: CfqData, g: Group) {
  groupTreeInsert(cfqd, g);
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

export function groupTreeDel(cfqd: CfqData, g: Group) {
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
    removeItem(cfqd.groupTree, g);
    g.onTree = false;
  }
}

export function groupNotifyQueueAdd(cfqd: CfqData, g: Group) {
  g.nrCfqq++;
  if (g.onTree) return;
  const last = cfqd.groupTree[cfqd.groupTree.length - 1];
  // cfq_get_cfqg_vdisktime_delay(): CFQ_IDLE_DELAY raw (HZ/5 in IOPS mode), unscaled.
  const delay = (iopsMode(cfqd) ? 200 : IDLE_DELAY) / VD_SCALE;
  g.vdisktime = last ? last.vdisktime + delay : cfqd.minVdisktime;
  groupTreeAdd(cfqd, g);
}

export function groupNotifyQueueDel(cfqd: CfqData, g: Group) {
  g.nrCfqq--;
  if (g.nrCfqq) return;
  groupTreeDel(cfqd, g);
  g.savedWlSlice = 0;
}

export function sliceUsage(cfqd: CfqData, q: Cfqq): number {
  const t = cfqd.env.clock.now;
  if (q.sliceStart < 0 || q.sliceStart === t) return Math.max(t - q.dispatchStart, JIFFY);
  return Math.min(t - q.sliceStart, q.allocatedSlice);
}

export function groupServed(cfqd: CfqData, g: Group, q: Cfqq) {
  const nrSync = g.nrCfqq - busyAsync(g) - g.idleTree.q.length;
  const used = sliceUsage(cfqd, q);
  let charge = used;
  if (iopsMode(cfqd)) charge = q.sliceDispatch;
  else if (!q.sync && nrSync === 0) charge = q.allocatedSlice;
  g.busyTime += used;
  const vfr = g.vfraction;
  if (g.onTree && vfr > 0) {
    groupTreeDel(cfqd, g);
    g.vdisktime += (charge * FIXED_ONE) / vfr;
    groupTreeAdd(cfqd, g);
  }
  const t = cfqd.env.clock.now;
  if (cfqd.workloadExpires > t) {
    g.savedWlSlice = cfqd.workloadExpires - t;
    g.savedWlType = cfqd.servingType;
    g.savedWlClass = cfqd.servingClass;
  } else g.savedWlSlice = 0;
}

export function chooseGroup(cfqd: CfqData) {
  const g = cfqd.groupTree[0] ?? null;
  if (g) cfqd.minVdisktime = Math.max(cfqd.minVdisktime, g.vdisktime);
  cfqd.servingGroup = g;
  if (!g) return;
  const t = cfqd.env.clock.now;
  if (g.savedWlSlice) {
    cfqd.workloadExpires = t + g.savedWlSlice;
    cfqd.servingType = g.savedWlType;
    cfqd.servingClass = g.savedWlClass;
  } else cfqd.workloadExpires = t - 1;
  chooseWorkload(cfqd, g);
}
