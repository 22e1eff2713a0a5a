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
