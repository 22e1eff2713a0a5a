/**
 * BFQ, the Budget Fair Queueing I/O scheduler, laid out as the kernel's files: block/bfq-iosched.c
 * (iosched.ts, and the pieces split out of it: budget.ts, idling.ts, weight-raising.ts,
 * injection.ts, merge.ts), block/bfq-wf2q.c (wf2q.ts), block/bfq-cgroup.c (cgroup.ts) and
 * block/bfq-iosched.h (types.ts), of Linux 6.1; the `linux_5_10` tunable selects 5.10 where the
 * model has both. docs/schedulers/bfq.md ("Versions") lists every difference.
 */
export { createBfq } from './iosched';
export type { BfqInjectStats, BfqMergeStats, BfqScheduler } from './types';
