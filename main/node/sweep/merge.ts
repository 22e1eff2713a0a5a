/**
 * Merging the shards of a sweep into one bundle. Every shard is read strictly (zip, names, sizes,
 * sha256 of every file, spec, results: bundle/read.ts); then the shards must belong together:
 * the same spec (sha256 of spec.json), engine version, name, seed and number of shards; each shard
 * must hold exactly its runs (shard.ts), no shard may appear twice, and none may be missing. The
 * merged result lists the runs in matrix order, so the bundle written from it is the bundle
 * `pvblk run SPEC --out` writes on one machine: every file but manifest.json byte for byte, and
 * manifest.json the same apart from `created`, `platform` and `app_version` (docs/sweeps.md).
 */
import { dirname } from 'node:path';
import type { ExperimentResult, RunResult } from '../../common/result';
import type { Spec } from '../../common/spec/schema';
import { type Bundle, readBundle } from '../bundle/read';
import { shardIndices } from './shard';

export class MergeError extends Error {}

export interface Merged {
  spec: Spec;
  result: ExperimentResult;
  shards: number;
}

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

/** Merge already read shard bundles (`files[k]` names `bundles[k]` in messages). */
export function mergeBundles(bundles: Bundle[], files: string[]): Merged {
  if (bundles.length === 0) throw new MergeError('merge: no shard bundles given');
  const first = bundles[0];
  const ref = first.manifest.sweep;
  bundles.forEach((b, k) => {
    if (!b.manifest.sweep)
      throw new MergeError(
        `${files[k]}: not a sweep shard (no "sweep" in its manifest); merge takes the shard-I-of-N.pvblk.zip files of pvblk sweep`,
      );
  });
  if (!ref) throw new MergeError(`${files[0]}: not a sweep shard`);
  const shards = ref.shards;
  const byShard = new Map<number, number>();
  bundles.forEach((b, k) => {
    const s = b.manifest.sweep!;
    const against = (what: string, mine: unknown, theirs: unknown) => {
      if (mine !== theirs)
        throw new MergeError(
          `${files[k]}: ${what} ${JSON.stringify(mine)} differs from ${files[0]}'s ${JSON.stringify(theirs)}; the shards are not of the same sweep`,
        );
    };
    against('spec (sha256 of spec.json)', s.spec_sha256, ref.spec_sha256);
    against('engine version', b.manifest.engine_version, first.manifest.engine_version);
    against('number of shards', s.shards, shards);
    against('experiment name', b.results.name, first.results.name);
    against('seed', b.results.seed, first.results.seed);
    const expected = shardIndices(s.runs_total, s.shard, s.shards);
    if (expected.length !== s.indices.length || expected.some((i, j) => s.indices[j] !== i))
      throw new MergeError(
        `${files[k]}: holds runs ${preview(s.indices)}, but shard ${s.shard} of ${s.shards} is runs ${preview(expected)}`,
      );
    const seen = byShard.get(s.shard);
    if (seen !== undefined)
      throw new MergeError(
        `shard ${s.shard} of ${shards} given twice: ${files[seen]} and ${files[k]} (runs ${preview(s.indices)} would be duplicated)`,
      );
    byShard.set(s.shard, k);
  });
  const missing: number[] = [];
  for (let i = 1; i <= shards; i++) if (!byShard.has(i)) missing.push(i);
  if (missing.length) {
    const runs = missing.reduce((n, i) => n + shardIndices(ref.runs_total, i, shards).length, 0);
    const dir = dirname(files[0]);
    throw new MergeError(
      `missing ${plural(missing.length, 'shard')} of ${shards}: ${missing.join(', ')} (${plural(runs, 'run')} of ${ref.runs_total}). Rerun ${missing.length === 1 ? 'it' : 'each'} (the spec is read from any shard), then merge again:\n${missing
        .map((i) => `  pvblk sweep ${files[0]} --shard ${i}/${shards} --out ${dir}`)
        .join('\n')}`,
    );
  }
  const runs: RunResult[] = new Array(ref.runs_total);
  for (const b of bundles)
    b.manifest.sweep?.indices.forEach((i, j) => {
      runs[i] = b.results.runs[j];
    });
  const result: ExperimentResult = {
    name: first.results.name,
    seed: first.results.seed,
    engine_version: first.results.engine_version,
    runs,
  };
  return { spec: first.spec, result, shards };
}

function preview(xs: number[]): string {
  return xs.length <= 6
    ? `[${xs.join(', ')}]`
    : `[${xs.slice(0, 5).join(', ')}, … ${xs.at(-1)}] (${xs.length})`;
}

/** Read (strictly) and merge shard files. BundleErrors name the file; MergeErrors say what does not fit. */
export async function mergeShardFiles(paths: string[]): Promise<Merged> {
  const bundles: Bundle[] = [];
  for (const p of paths) bundles.push(await readBundle(p));
  return mergeBundles(bundles, paths);
}
