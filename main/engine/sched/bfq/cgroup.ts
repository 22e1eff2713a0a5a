/**
 * BFQ groups (block/bfq-cgroup.c): bfq_find_set_group / bfq_group_set_parent / bfq_init_entity for
 * a group (getGroup: one entity per group in its parent's BE tree, weight from the cgroup), and the
 * group side of preemption, bfq_bfqq_higher_class_or_weight (higherWeight) and
 * next_queue_may_preempt (mayPreempt).
 */
import { BE_IDX, type BfqData, type Group, type Queue } from './types';
import { newSched, schedActive } from './wf2q';

export function getGroup(bfqd: BfqData, id: number): Group {
  const existing = bfqd.groups.get(id);
  if (existing) return existing;
  let g: Group;
  if (id === 0) {
    g = { id, sched: newSched(bfqd), entity: null, parent: null };
  } else {
    const info = bfqd.env.groupInfo(id);
    const parent = getGroup(bfqd, Math.max(0, info.parent));
    g = { id, sched: newSched(bfqd), entity: null, parent };
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
  bfqd.groups.set(id, g);
  return g;
}

/** bfq_bfqq_higher_class_or_weight: a higher class, else a heavier queue (or group). */
export function higherWeight(q: Queue, cur: Queue): boolean {
  if (q.cls < cur.cls) return true;
  if (q.group === cur.group) return q.entity.weight > cur.entity.weight;
  const wq = q.group.entity ? q.group.entity.weight : q.entity.weight;
  const wc = cur.group.entity ? cur.group.entity.weight : cur.entity.weight;
  return wq > wc;
}

/** next_queue_may_preempt (simplified): the root tree has another candidate than the in-service path. */
export function mayPreempt(bfqd: BfqData, _cur: Queue): boolean {
  return schedActive(getGroup(bfqd, 0).sched);
}
