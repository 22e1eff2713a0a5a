// PLACEHOLDER until the scheduler lands in this session: replaced by the real implementation.
import type { TunableValues } from '../../common/spec/tunables';
import type { IoScheduler, SchedulerEnv } from './types';

export function createBfq(_env: SchedulerEnv, _params: TunableValues): IoScheduler {
  throw new Error('bfq scheduler not implemented yet');
}
