/** The scheduler registry: one factory per name, each taking resolved tunables. */
import { resolveTunables, type SchedulerName, type TunableValues } from '../../common/spec/tunables';
import { createAnticipatory } from './anticipatory';
import { createBfq } from './bfq/index';
import { createCfq } from './cfq/index';
import { createDeadline } from './deadline';
import { createKyber } from './kyber';
import { createNoop } from './noop';
import type { IoScheduler, SchedulerEnv } from './types';

const FACTORIES: Record<SchedulerName, (env: SchedulerEnv, params: TunableValues) => IoScheduler> = {
  noop: (env) => createNoop(env),
  deadline: createDeadline,
  anticipatory: createAnticipatory,
  cfq: createCfq,
  bfq: createBfq,
  kyber: createKyber,
};

/** Create a scheduler with Linux's defaults overridden by `params` (validated beforehand). */
export function createScheduler(
  name: SchedulerName,
  env: SchedulerEnv,
  params: TunableValues = {},
): IoScheduler {
  return FACTORIES[name](env, resolveTunables(name, params));
}
