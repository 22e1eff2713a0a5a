/**
 * B-WF2Q+, BFQ's hierarchical fair queueing of entities (block/bfq-wf2q.c): bfq_activate_entity /
 * __bfq_activate_entity (activateEntity), bfq_requeue_entity (requeueEntity),
 * bfq_deactivate_entity (deactivateEntity), bfq_forget_idle / bfq_forget_entity (purgeIdle,
 * forget), bfq_first_active_entity / bfq_calc_vtime_jump (peek), bfq_lookup_next_entity with the
 * BFQ_CL_IDLE_TIMEOUT turn of the idle class (lookupNext), bfq_activate_bfqq (activateQueue),
 * bfq_deactivate_bfqq / bfq_requeue_bfqq (expirePath), bfq_bfqq_served (served) and
 * bfq_get_next_queue (getNextQueue). Virtual time is in sectors/weight, one tree per class.
 */
import { getGroup } from './cgroup';
import {
  BE_IDX,
  type BfqData,
  CL_IDLE_TIMEOUT,
  type Entity,
  type Group,
  IDLE_IDX,
  type Queue,
  type Sched,
  type ServiceTree,
} from './types';

export function newTree(): ServiceTree {
  return { vtime: 0, wsum: 0, active: new Set(), idle: new Set() };
}

export function newSched(bfqd: BfqData): Sched {
  return {
    st: [newTree(), newTree(), newTree()],
    inService: null,
    idleLastService: bfqd.env.now(),
  };
}

/** Any entity waiting in one of the group's trees. */
export function schedActive(sd: Sched) {
  return sd.st[0].active.size + sd.st[1].active.size + sd.st[2].active.size > 0;
}

export function setWeight(e: Entity, w: number) {
  if (e.counted) e.tree.wsum += w - e.weight;
  e.weight = w;
}

export function forget(e: Entity) {
  if (e.counted) e.tree.wsum -= e.weight;
  e.counted = false;
  if (e.where === 'idle') e.tree.idle.delete(e);
  e.where = 'none';
}

/** bfq_forget_idle: idle entities whose finish time V has passed stop counting in W. */
export function purgeIdle(st: ServiceTree) {
  for (const e of st.idle) if (e.F <= st.vtime) forget(e);
}

/** __bfq_activate_entity for an entity on no tree or on the idle tree. */
export function activateEntity(bfqd: BfqData, e: Entity, nonBlockingWait: boolean) {
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
  if (e.queue) e.queue.activeStamp = ++bfqd.activeStamp;
}

/** __bfq_requeue_entity: an in-service entity is charged its service, then re-enqueued. */
export function requeueEntity(bfqd: BfqData, e: Entity) {
  const st = e.tree;
  if (e.sd.inService === e) {
    e.F = e.S + e.service / e.weight;
    e.S = e.F;
    e.sd.inService = null;
  }
  e.F = e.S + e.budget / e.weight;
  e.where = 'active';
  st.active.add(e);
  if (e.queue) e.queue.activeStamp = ++bfqd.activeStamp;
}

/** __bfq_deactivate_entity: park on the idle tree if F > V, else forget. */
export function deactivateEntity(e: Entity) {
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
}

/** The entity B-WF2Q+ would pick (eligible S ≤ V', minimum F), and V' (V jumped to min S). */
export function peek(st: ServiceTree): { e: Entity | null; v: number } {
  let minS = Number.POSITIVE_INFINITY;
  for (const e of st.active) if (e.S < minS) minS = e.S;
  const v = Math.max(st.vtime, minS);
  let best: Entity | null = null;
  for (const e of st.active) {
    if (e.S > v) continue;
    if (!best || e.F < best.F || (e.F === best.F && e.S < best.S)) best = e;
  }
  return { e: best, v };
}

/**
 * bfq_lookup_next_entity: the highest class with an active entity, except that the IDLE tree is
 * picked if its turn has not come up for BFQ_CL_IDLE_TIMEOUT (the timestamp is renewed then,
 * whether or not an idle-class entity was waiting). `sample` = no side effect (budget estimates).
 */
export function lookupNext(
  bfqd: BfqData,
  sd: Sched,
  sample: boolean,
): { e: Entity | null; st: ServiceTree; v: number } {
  let from = 0;
  const now = bfqd.env.now();
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
}

/** The budget of the entity the group would serve next (a group entity's budget). */
export function peekBudget(bfqd: BfqData, sd: Sched): number {
  return lookupNext(bfqd, sd, true).e?.budget ?? 0;
}

export function activateQueue(bfqd: BfqData, q: Queue, nonBlockingWait: boolean) {
  activateEntity(bfqd, q.entity, nonBlockingWait);
  let g = q.group;
  while (g.entity && g.parent) {
    const ge = g.entity;
    if (ge.sd.inService === ge) break;
    ge.budget = peekBudget(bfqd, g.sched);
    if (ge.where === 'active') {
      // Simplified bfq_update_next_in_service: the group's budget follows its next child.
      ge.F = ge.S + ge.budget / ge.weight;
      break;
    }
    activateEntity(bfqd, ge, false);
    g = g.parent;
  }
}

/** Requeue or deactivate the in-service path from queue q up to the root. */
export function expirePath(bfqd: BfqData, q: Queue, backlogged: boolean) {
  if (backlogged) requeueEntity(bfqd, q.entity);
  else deactivateEntity(q.entity);
  let g = q.group;
  while (g.entity && g.parent) {
    const ge = g.entity;
    if (ge.sd.inService === ge) {
      if (schedActive(g.sched) || g.sched.inService) {
        ge.budget = peekBudget(bfqd, g.sched);
        requeueEntity(bfqd, ge);
      } else deactivateEntity(ge);
    }
    g = g.parent;
  }
}

/** bfq_bfqq_served: charge service at every level of the hierarchy. */
export function served(bfqd: BfqData, q: Queue, c: number) {
  if (c <= 0) return;
  if (q.serviceFromBacklogged === 0) q.firstIoTime = bfqd.env.now();
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
}

/** bfq_get_next_queue: descend from the root choosing the eligible entity with minimum F. */
export function getNextQueue(bfqd: BfqData): Queue | null {
  const root = getGroup(bfqd, 0);
  let sd = root.sched;
  let owner: Group = root;
  for (let depth = 0; depth < 64; depth++) {
    let e = sd.inService;
    if (!e) {
      const { e: next, st, v } = lookupNext(bfqd, sd, false);
      if (!next) {
        // A group in service with nothing left below it (should not happen): drop it and retry.
        if (owner.entity && owner.entity.sd.inService === owner.entity) {
          deactivateEntity(owner.entity);
          return getNextQueue(bfqd);
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
}
