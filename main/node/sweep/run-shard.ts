/**
 * Running one shard of a sweep: the runs whose matrix index i has shard (i mod N) + 1 (shard.ts),
 * computed from their indices without expanding the rest of the matrix, written as a sweep-shard
 * bundle (format version 3) `shard-I-of-N.pvblk.zip`.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExperimentResult } from '../../common/result';
import { matrixSize } from '../../common/spec/matrix';
import type { Spec } from '../../common/spec/schema';
import { runAt } from '../../common/spec/validate';
import { ENGINE_VERSION } from '../../engine/version';
import { writeBundle } from '../bundle/write';
import { runTasks } from '../runner';
import { shardFileName, shardIndices } from './shard';

export interface ShardRunOptions {
  jobs?: number;
  onRunDone?: (done: number, total: number) => void;
}

/** The result of shard `shard` of `shards` of `spec` (a valid spec; its runs in matrix order). */
export async function runShard(
  spec: Spec,
  shard: number,
  shards: number,
  opts: ShardRunOptions = {},
): Promise<{ indices: number[]; result: ExperimentResult }> {
  const indices = shardIndices(matrixSize(spec), shard, shards);
  let done = 0;
  const runs = await runTasks(
    indices.map((i) => runAt(spec, i)),
    {
      jobs: opts.jobs,
      onRunDone: () => opts.onRunDone?.(++done, indices.length),
    },
  );
  return { indices, result: { name: spec.name, seed: spec.seed, engine_version: ENGINE_VERSION, runs } };
}

/** Run shard `shard` of `shards` and write `dir/shard-I-of-N.pvblk.zip` (atomically); returns its path. */
export async function writeShard(
  spec: Spec,
  shard: number,
  shards: number,
  dir: string,
  opts: ShardRunOptions = {},
): Promise<{ path: string; runs: number }> {
  const { indices, result } = await runShard(spec, shard, shards, opts);
  await mkdir(dir, { recursive: true });
  const path = join(dir, shardFileName(shard, shards));
  await writeBundle(path, spec, result, { shard: { shard, shards, indices } });
  return { path, runs: indices.length };
}
