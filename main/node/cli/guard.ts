/**
 * What the CLI checks before it starts work: the cost of a spec against the limits (`--allow-large`
 * lifts them). The light checks and error lines every command needs are in refusal.ts.
 */
import type { Spec } from '../../common/spec/schema';
import { expandMatrix } from '../../common/spec/validate';
import { costOverLimits, estimateSpecCost, formatCost, type SpecCost } from '../../engine/cost';
import { CliRefusal } from './refusal';

/** The spec's cost; throws a CliRefusal giving the estimate when it is over a limit and `allowLarge` is not set. */
export function checkSpecCost(spec: Spec, source: string, allowLarge: boolean): SpecCost {
  const cost = estimateSpecCost(
    spec,
    expandMatrix(spec).map((r) => r.spec),
  );
  const over = costOverLimits(cost);
  if (over.length && !allowLarge)
    throw new CliRefusal(
      `${source}: too large to run without --allow-large: ${over.join('; ')}\n  estimate: ${formatCost(cost)}\n` +
        '  shorten duration_s, raise sample_interval_ms, lower trace_max_points or the thread counts — or add --allow-large',
    );
  return cost;
}
