/**
 * CFQ close cooperators (block/cfq-iosched.c, Linux 4.19): the per-priority trees of queues keyed
 * by their next request's sector (cfq_prio_tree_lookup / cfq_prio_tree_add, prioTreeRemove),
 * cfqq_close and cfq_close_cooperator (closeCooperator), cfq_setup_merge, cfq_merge_cfqqs
 * (mergeCfqqs), cfq_put_cooperator and split_cfqq (splitCfqq).
 */
import { insertAt, removeItem } from './array';
import { type CfqData, type Cfqq, type Cic, CLOSE_THR, type CRq, IDLE_WL, RT_WL, seeky } from './types';

/** cfq_merge_cfqqs(): the context moves to the queue it was scheduled to merge into. */
export function mergeCfqqs(cfqd: CfqData, cic: Cic, q: Cfqq): Cfqq {
  const n = q.newCfqq as Cfqq;
  // The process reference on `n` was taken by cfq_setup_merge; drop the one on `q`.
  cic.syncQ = n;
  n.coop = true;
  q.procRefs--;
  cfqd.merges++;
  return n;
}

/** cfq_put_cooperator(): drop the merge references taken along q's new_cfqq chain. */
export function putCooperator(q: Cfqq) {
  let n = q.newCfqq;
  while (n && n !== q) {
    n.procRefs = Math.max(0, n.procRefs - 1);
    n = n.newCfqq;
  }
}

/** split_cfqq(): null if the context needs a queue of its own, else the queue it keeps. */
export function splitCfqq(cfqd: CfqData, cic: Cic, q: Cfqq): Cfqq | null {
  cfqd.splits++;
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

export function nextPos(q: Cfqq) {
  return (q.nextRq as CRq).rq.sector;
}

interface PrioTreeLookup {
  found: Cfqq | null;
  parent: number;
  at: number;
}
/** prioTreeLookup's answer, reused by every call (read at once by its caller, never kept). */
const lookup: PrioTreeLookup = { found: null, parent: -1, at: 0 };

/**
 * cfq_prio_tree_lookup(): descend the tree comparing with each node's *current* next_rq sector
 * (as the kernel, whose keys may have gone stale since insertion). The array is descended as a
 * balanced binary tree; `parent` is the last node visited (the parent of the NULL leaf), `at`
 * where the sector would be inserted.
 */
export function prioTreeLookup(root: Cfqq[], sector: number): PrioTreeLookup {
  const l = lookup;
  let lo = 0;
  let hi = root.length;
  let parent = -1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    parent = mid;
    const pos = nextPos(root[mid]);
    if (sector > pos) lo = mid + 1;
    else if (sector < pos) hi = mid;
    else {
      l.found = root[mid];
      l.parent = mid;
      l.at = mid;
      return l;
    }
  }
  l.found = null;
  l.parent = parent;
  l.at = lo;
  return l;
}

export function prioTreeRemove(cfqd: CfqData, q: Cfqq) {
  if (!q.inPrioTree) return;
  const root = cfqd.prioTrees[q.prio];
  removeItem(root, q);
  q.inPrioTree = false;
}

/**
 * cfq_prio_tree_add(): (re-)key the queue by its next request; one queue per sector. Idle-class
 * queues are never in a prio tree (cfq_class_idle), so they are never anyone's cooperator.
 */
export function prioTreeAdd(cfqd: CfqData, q: Cfqq) {
  prioTreeRemove(cfqd, q);
  if (q.cls === IDLE_WL || !q.nextRq) return;
  const root = cfqd.prioTrees[q.prio];
  const l = prioTreeLookup(root, nextPos(q));
  if (l.found) return;
  insertAt(root, l.at, q);
  q.inPrioTree = true;
}

/** cfq_rq_close(): within CFQQ_CLOSE_THR of the last dispatched position (cfq_dist_from_last). */
export function rqClose(cfqd: CfqData, c: CRq) {
  return Math.abs(c.rq.sector - cfqd.lastPosition) <= CLOSE_THR;
}

/** cfqq_close(): a queue whose next request starts at, or close to, last_position. */
export function cfqqClose(cfqd: CfqData, cur: Cfqq): Cfqq | null {
  const root = cfqd.prioTrees[cur.prio];
  if (!root.length) return null;
  const sector = cfqd.lastPosition;
  const l = prioTreeLookup(root, sector);
  if (l.found) return l.found;
  const parent = root[l.parent];
  if (rqClose(cfqd, parent.nextRq as CRq)) return parent;
  const i = nextPos(parent) < sector ? l.parent + 1 : l.parent - 1; // rb_next / rb_prev
  // Checked here, not by reading past the ends (root[-1] is a slow named-property lookup).
  if (i < 0 || i >= root.length) return null;
  const n = root[i];
  return rqClose(cfqd, n.nextRq as CRq) ? n : null;
}

/** cfq_close_cooperator(): a queue of the same group working close to where `cur` left off. */
export function closeCooperator(cfqd: CfqData, cur: Cfqq): Cfqq | null {
  if (cur.cls === IDLE_WL || !cur.sync || seeky(cur)) return null;
  // Don't search the prio tree if cur is the only queue in its group.
  if (cur.group.nrCfqq === 1) return null;
  const q = cfqqClose(cfqd, cur);
  if (!q || q.group !== cur.group || !q.sync || seeky(q)) return null;
  // Do not merge queues of different priority classes (RT-ness).
  if ((q.cls === RT_WL) !== (cur.cls === RT_WL)) return null;
  return q;
}

/** cfq_setup_merge(): schedule the merge, in the direction of the fewer processes. */
export function setupMerge(cfqd: CfqData, q: Cfqq, target: Cfqq) {
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
  cfqd.mergesScheduled++;
}
