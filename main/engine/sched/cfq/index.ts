/**
 * CFQ (Completely Fair Queuing) as in block/cfq-iosched.c of Linux 4.19, the last LTS with CFQ,
 * laid out by the parts of that file: the request and dispatch core (iosched.ts), service trees
 * (service-tree.ts), groups (group.ts), slices and idling (slice.ts), close cooperators
 * (cooperator.ts) and the structures (types.ts). See docs/schedulers/cfq.md.
 *
 * I/O priority classes (contexts carry a class rt / be / idle and a level 0..7): per group an RT and
 * a BE set of the three workload service trees plus one IDLE tree, served RT > BE > IDLE
 * (choose_wl_class_and_type), with the idle class's one-request rounds and preemption rules of
 * 4.19. Close cooperators (cfq_close_cooperator: per-priority trees of queues keyed by their next
 * request's sector, queue merging at the next request allocation, splitting of merged queues that
 * turned seeky) are modelled as in 4.19.
 */
export { createCfq } from './iosched';
export type { CfqCoopStats, CfqQueueView, CfqScheduler } from './types';
