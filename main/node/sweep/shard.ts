/**
 * Which runs of a sweep belong to which shard. Run i (matrix index, from 0) belongs to shard
 * (i mod N) + 1 of N: shards are interleaved, not contiguous blocks, so every shard gets a similar
 * mix of cheap and expensive runs (the matrix's last key varies fastest, and its first key, often a
 * thread count or a disk, changes cost in long blocks). A shard is a pure function of (i, N).
 */

export interface ShardRef {
  /** 1-based shard number. */
  shard: number;
  shards: number;
  /** Where `shard` came from: `"--shard"` or the environment variable read by `auto`. */
  source: string;
}

/** The shard (1-based) that run `index` belongs to. */
export function shardOf(index: number, shards: number): number {
  return (index % shards) + 1;
}

/** The matrix indices of shard `shard` of `shards` over `total` runs, ascending. */
export function shardIndices(total: number, shard: number, shards: number): number[] {
  const out: number[] = [];
  for (let i = shard - 1; i < total; i += shards) out.push(i);
  return out;
}

/**
 * Batch systems' task index variables read by `--shard auto/N`, in this order, and how each maps to
 * the 1-based shard: Slurm's array task id as is (the generated script uses `--array=1-N`), the
 * Kubernetes Indexed Job's completion index plus one (it counts from 0), GNU parallel's job
 * sequence number as is (from 1).
 */
export const SHARD_ENV: readonly { name: string; offset: number }[] = [
  { name: 'SLURM_ARRAY_TASK_ID', offset: 0 },
  { name: 'JOB_COMPLETION_INDEX', offset: 1 },
  { name: 'PARALLEL_SEQ', offset: 0 },
];

/** Parse `--shard I/N` or `auto/N`; throws an Error whose message names `--shard` on bad input. */
export function parseShard(arg: string, env: Record<string, string | undefined>): ShardRef {
  const m = /^(auto|\d+)\/(\d+)$/.exec(arg.trim());
  if (!m) throw new Error(`--shard: expected I/N or auto/N (e.g. 3/8), got "${arg}"`);
  const shards = Number(m[2]);
  if (!Number.isSafeInteger(shards) || shards < 1)
    throw new Error(`--shard: the number of shards must be at least 1, got "${m[2]}"`);
  let shard: number;
  let source = '--shard';
  if (m[1] === 'auto') {
    const found = SHARD_ENV.find((e) => env[e.name] !== undefined && env[e.name] !== '');
    if (!found)
      throw new Error(
        `--shard auto/${shards}: none of ${SHARD_ENV.map((e) => e.name).join(', ')} is set; give the shard as I/${shards}`,
      );
    const raw = env[found.name] as string;
    if (!/^\d+$/.test(raw))
      throw new Error(`--shard auto: ${found.name}="${raw}" is not a non-negative integer`);
    shard = Number(raw) + found.offset;
    source = `${found.name}=${raw}`;
  } else shard = Number(m[1]);
  if (shard < 1 || shard > shards)
    throw new Error(
      `--shard: shard ${shard} (${source}) is outside 1..${shards}${source.startsWith('SLURM') ? ' (submit the array as --array=1-N)' : ''}`,
    );
  return { shard, shards, source };
}

/** The file name of shard `shard` of `shards`. */
export function shardFileName(shard: number, shards: number): string {
  return `shard-${shard}-of-${shards}.pvblk.zip`;
}
