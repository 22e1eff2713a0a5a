/**
 * `pvblk sweep` and `pvblk merge` (docs/sweeps.md): a matrix far beyond the interactive cap, split
 * into shards that any batch system runs (Slurm job arrays, GNU parallel, Kubernetes Indexed Jobs,
 * a loop), merged into one bundle identical to a local `pvblk run --out`.
 * Exit status: 0 success, 2 invalid spec, argument, shard set or bundle, 1 otherwise.
 */
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { matrixSize } from '../../common/spec/matrix';
import type { Spec, SpecInput } from '../../common/spec/schema';
import { formatErrors, validateSpec } from '../../common/spec/validate';
import { MAX_BUNDLE_RUNS, SPEC } from '../bundle/format';
import { BundleError, readBundle } from '../bundle/read';
import { writeBundle } from '../bundle/write';
import { estimateSweep, formatBytes, formatDuration, type SweepCost } from '../sweep/cost';
import { MergeError, mergeShardFiles } from '../sweep/merge';
import { writeShard } from '../sweep/run-shard';
import { parseShard, shardIndices } from '../sweep/shard';
import { type SlurmPlan, slurmTime, submitScript, submitSlurm } from '../sweep/slurm';
import { checkSpecArgs, presetInput, readSpecFile, SpecArgError } from './spec-args';

export const SWEEP_HELP = `pvblk sweep [SPEC.json | SHARD.pvblk.zip | --preset NAME] --shard I/N|auto/N --out DIR [--jobs J] [--max-runs M]
                                    run shard I of N of the spec's matrix (runs i with i mod N = I-1),
                                    writing DIR/shard-I-of-N.pvblk.zip; auto/N takes I from SLURM_ARRAY_TASK_ID,
                                    JOB_COMPLETION_INDEX (+1) or PARALLEL_SEQ (docs/sweeps.md)
  pvblk sweep [SPEC.json | --preset NAME] --slurm --out DIR [--shards N] [--partition P] [--time HH:MM:SS]
              [--cpus-per-task C] [--max-runs M] [--dry-run]
                                    submit the sweep as a Slurm job array plus a dependent merge job
                                    (--dry-run: print the submit script only)
  pvblk merge SHARD.pvblk.zip... --out FILE.pvblk.zip
                                    merge a sweep's shards into one bundle (identical to pvblk run --out)
`;

/** Default of --max-runs: the run count a sweep may have. */
export const DEFAULT_MAX_RUNS = 100_000;
const DEFAULT_SHARDS = 8;
const DEFAULT_CPUS = 4;

class ArgError extends Error {}

function count(
  name: string,
  v: string | undefined,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max)
    throw new ArgError(`--${name}: expected an integer from ${min} to ${max}, got "${v}"`);
  return n;
}

/** The spec input, from a spec file, a bundle's spec.json (e.g. a shard, to rerun another shard) or a preset. */
async function specInput(
  positionals: string[],
  preset: string | undefined,
): Promise<{ input: SpecInput; source: string; specArgs: string[] }> {
  try {
    checkSpecArgs(positionals, preset);
    if (preset)
      return { input: presetInput(preset), source: `preset ${preset}`, specArgs: ['--preset', preset] };
    const file = positionals[0];
    const specArgs = [resolve(file)];
    if (!file.endsWith('.zip')) return { input: readSpecFile(file), source: file, specArgs };
    const b = await readBundle(file);
    const bytes = b.files.get(SPEC) as Uint8Array;
    return {
      input: JSON.parse(new TextDecoder().decode(bytes)) as SpecInput,
      source: `${file} (${SPEC})`,
      specArgs,
    };
  } catch (e) {
    throw e instanceof SpecArgError ? new ArgError(e.message) : e;
  }
}

function costLines(c: SweepCost, what: string, jobs: number): string {
  const per = c.perRun.mean;
  return (
    `${what}: ${c.runs} run${c.runs === 1 ? '' : 's'}; estimated per run ~${formatDuration(per.seconds)} ` +
    `(${formatDuration(c.perRun.min)}–${formatDuration(c.perRun.max)}; ~${Math.round(per.requests)} simulated requests, ` +
    `~${formatBytes(per.resultBytes)} of results)${c.sampled < c.runs ? ` from ${c.sampled} sampled runs` : ''}\n` +
    `  estimated total ~${formatDuration(c.total.seconds)} of CPU` +
    `${jobs > 1 ? `, ~${formatDuration(c.total.seconds / jobs)} on ${jobs} cores` : ''}, ~${formatBytes(c.total.resultBytes)} of results` +
    ' (a rough model, not a measurement)\n'
  );
}

export async function cmdSweep(argv: string[]): Promise<number> {
  try {
    return await sweep(argv);
  } catch (e) {
    if (
      e instanceof ArgError ||
      e instanceof BundleError ||
      (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`pvblk sweep: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
}

async function sweep(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      preset: { type: 'string' },
      shard: { type: 'string' },
      out: { type: 'string' },
      jobs: { type: 'string' },
      'max-runs': { type: 'string' },
      slurm: { type: 'boolean', default: false },
      shards: { type: 'string' },
      partition: { type: 'string' },
      time: { type: 'string' },
      'cpus-per-task': { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
    },
  });
  if (!values.out) throw new ArgError('--out DIR is required (the shards are written there)');
  if (values.slurm === (values.shard !== undefined))
    throw new ArgError('give either --shard I/N (run one shard here) or --slurm (submit them all)');
  const slurmOnly = ['shards', 'partition', 'time', 'cpus-per-task', 'dry-run'] as const;
  if (!values.slurm)
    for (const k of slurmOnly)
      if (values[k] !== undefined && values[k] !== false) throw new ArgError(`--${k} goes with --slurm`);
  if (values.slurm && values.jobs !== undefined)
    throw new ArgError('--jobs: with --slurm each task uses its --cpus-per-task');
  const maxRuns = count('max-runs', values['max-runs'], 1, MAX_BUNDLE_RUNS) ?? DEFAULT_MAX_RUNS;
  const { input, source, specArgs } = await specInput(positionals, values.preset);
  const v = validateSpec(input, { maxRuns });
  if (!v.ok) {
    const errs = formatErrors(v.errors);
    process.stderr.write(
      `${source}: invalid spec\n${errs.replace(/^/gm, '  ')}\n${/^matrix: \d+ runs; at most/m.test(errs) ? '  (raise the bound with --max-runs M)\n' : ''}`,
    );
    return 2;
  }
  const spec = v.spec;
  const total = matrixSize(spec);
  if (values.slurm) return slurm(spec, total, specArgs, values, maxRuns);

  let ref: ReturnType<typeof parseShard>;
  try {
    ref = parseShard(values.shard as string, process.env);
  } catch (e) {
    throw new ArgError((e as Error).message);
  }
  const jobs = count('jobs', values.jobs, 0);
  const indices = shardIndices(total, ref.shard, ref.shards);
  process.stderr.write(
    `${spec.name}: shard ${ref.shard} of ${ref.shards}${ref.source === '--shard' ? '' : ` (${ref.source})`}, ${indices.length} of ${total} runs\n` +
      costLines(estimateSweep(spec, { indices }), `shard ${ref.shard}/${ref.shards}`, jobs || 1),
  );
  const { path, runs } = await writeShard(spec, ref.shard, ref.shards, values.out, {
    jobs: jobs === 0 ? undefined : jobs,
  });
  process.stdout.write(`${path} (${runs} run${runs === 1 ? '' : 's'})\n`);
  return 0;
}

/** bin/pvblk.mjs of this build: the nearest folder above this module that has it (out/main/… in the repository). */
function pvblkBin(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const bin = join(dir, 'bin', 'pvblk.mjs');
    if (existsSync(bin)) return realpathSync(bin);
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find bin/pvblk.mjs above the built CLI');
    dir = up;
  }
}

async function slurm(
  spec: Spec,
  total: number,
  specArgs: string[],
  values: {
    out?: string;
    shards?: string;
    partition?: string;
    time?: string;
    'cpus-per-task'?: string;
    'dry-run'?: boolean;
  },
  maxRuns: number,
): Promise<number> {
  const shards = count('shards', values.shards, 1, total) ?? Math.min(DEFAULT_SHARDS, total);
  const cpus = count('cpus-per-task', values['cpus-per-task'], 1, 4096) ?? DEFAULT_CPUS;
  if (values.time !== undefined && !/^(\d+-)?\d+(:\d{1,2}){0,2}$/.test(values.time))
    throw new ArgError(`--time: expected HH:MM:SS (or D-HH:MM:SS, as sbatch takes it), got "${values.time}"`);
  if (values.partition !== undefined && !/^[A-Za-z0-9_.,-]+$/.test(values.partition))
    throw new ArgError(`--partition: "${values.partition}" is not a partition name`);
  const cost = estimateSweep(spec);
  // Default time limit: four times the estimated largest shard on its cores, at least 10 minutes.
  const shardSeconds = (Math.ceil(total / shards) * cost.perRun.mean.seconds) / cpus;
  const outDir = resolve(values.out as string);
  const plan: SlurmPlan = {
    name: spec.name,
    specArgs,
    runs: total,
    shards,
    outDir,
    mergedPath: join(outDir, `${spec.name.replace(/[^A-Za-z0-9._-]+/g, '_')}.pvblk.zip`),
    cpusPerTask: cpus,
    time: values.time ?? slurmTime(Math.max(600, 4 * shardSeconds)),
    mergeTime: values.time ?? slurmTime(Math.max(600, cost.total.resultBytes / 2e6)),
    ...(values.partition ? { partition: values.partition } : {}),
    maxRuns,
    node: process.execPath,
    pvblk: pvblkBin(),
  };
  process.stderr.write(
    `${spec.name}: ${total} runs in ${shards} shards of ≤${Math.ceil(total / shards)} runs, ${cpus} CPUs per task, --time ${plan.time}\n` +
      costLines(cost, 'sweep', shards * cpus),
  );
  if (values['dry-run']) {
    process.stdout.write(submitScript(plan));
    return 0;
  }
  const { arrayJob, mergeJob, files } = await submitSlurm(plan);
  process.stderr.write(`scripts: ${files.join(', ')}\n`);
  process.stdout.write(
    `array job ${arrayJob} (${shards} tasks)\nmerge job ${mergeJob} → ${plan.mergedPath}\n`,
  );
  return 0;
}

export async function cmdMerge(argv: string[]): Promise<number> {
  let files: string[];
  let out: string | undefined;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { out: { type: 'string' } },
    });
    files = positionals;
    out = values.out;
  } catch (e) {
    process.stderr.write(`pvblk merge: ${(e as Error).message}\n`);
    return 2;
  }
  if (!out || files.length === 0) {
    process.stderr.write(
      'pvblk merge: expected shard bundles and --out FILE.pvblk.zip (pvblk merge DIR/shard-*.pvblk.zip --out all.pvblk.zip)\n',
    );
    return 2;
  }
  try {
    const merged = await mergeShardFiles(files);
    await writeBundle(out, merged.spec, merged.result);
    process.stdout.write(`${out} (${merged.result.runs.length} runs from ${merged.shards} shards)\n`);
    return 0;
  } catch (e) {
    if (e instanceof MergeError || e instanceof BundleError) {
      process.stderr.write(`pvblk merge: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
