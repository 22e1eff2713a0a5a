/** A SchedBench around one BFQ instance (low_latency off unless asked), for the BFQ tests. */
import { resolveTunables, type TunableValues } from '../../common/spec/tunables';
import { type BfqScheduler, createBfq } from './bfq/index';
import { type BenchOptions, SchedBench } from './testing';

export function bfqBench(
  over: TunableValues = {},
  opts: BenchOptions = {},
): { b: SchedBench; bfq: () => BfqScheduler } {
  let sched: BfqScheduler | null = null;
  const b = new SchedBench((env) => {
    sched = createBfq(env, resolveTunables('bfq', { low_latency: 0, ...over }));
    return sched;
  }, opts);
  const bfq = (): BfqScheduler => {
    if (!sched) throw new Error('scheduler not created');
    return sched;
  };
  return { b, bfq };
}

/**
 * Bring BFQ to hw_tag = 0, as a loaded disk without command queueing does (bfq_update_hw_tag,
 * Linux 6.1): context 99 submits 40 scattered reads at once, so more than BFQ_HW_QUEUE_THRESHOLD
 * requests are outstanding while the depth-1 device holds one, and after BFQ_HW_QUEUE_SAMPLES
 * completions hw_tag becomes 0. Runs the bench to `untilNs`; on simpleService the 40 reads are done
 * after ≈ 0.33 s. (Under a light load hw_tag stays −1, "unknown", and counts as queueing.)
 */
export function primeNoQueueing(b: SchedBench, untilNs = 500_000_000): void {
  b.sim.at(b.sim.now, () => {
    for (let k = 0; k < 40; k++) b.submit(b.request(99, 4e8 + k * 1e6, 8));
  });
  b.run(untilNs);
}
