/**
 * Reading (importing) a bundle, strictly. Every problem is a BundleError naming the file or entry:
 * not a zip or truncated; unsafe entry names (`..`, absolute, backslashes, drive letters);
 * symlinks and other non-regular entries; duplicate names; too many entries or declared sizes
 * beyond the limits (checked before inflating, and enforced while inflating); files the format
 * does not know, or that the manifest does not list, or that it lists but are missing; wrong
 * sha256; an unknown format version; a spec failing validation; results.json (or, version 2,
 * results-real.json, or version 4, results-kernel.json) not shaped like a result of that spec. A
 * kernel bundle of before version 4 (results.json the kernel result, the simulation in its
 * `simulated` field) is read as its version 4 equivalent. The reader never writes anything
 * anywhere: the bundle stays in memory.
 *
 * Pure apart from reading a path (a dynamic import of node:fs), so the UI can pass bytes.
 */
import { z } from 'zod';
import { type ExperimentResult, runMatrixIndices } from '../../common/result';
import { matrixSize, paramsAt } from '../../common/spec/matrix';
import type { Spec } from '../../common/spec/schema';
import { expandMatrix, formatErrors, MAX_MATRIX_RUNS, validateSpec } from '../../common/spec/validate';
import { costOverLimits, estimateSpecCost, formatCost } from '../../engine/cost';
import {
  BUNDLE_FORMAT,
  type BundleFormatVersion,
  type BundleLimits,
  CHART_RE,
  DEFAULT_LIMITS,
  isKnownFile,
  LATEST_FORMAT_VERSION,
  MANIFEST,
  MAX_BUNDLE_RUNS,
  type Manifest,
  ManifestSchema,
  READABLE_FORMAT_VERSIONS,
  README,
  REQUIRED_FILES,
  RESULTS,
  RESULTS_KERNEL,
  RESULTS_REAL,
  SPEC,
  SWEEP_SHARD_FORMAT_VERSION,
  type SweepShard,
  sha256Hex,
  TRACE,
} from './format';
import { BundleError, extractEntry, listZip, type ZipEntry } from './zip';

export { BundleError, type BundleErrorCode } from './zip';

export interface Bundle {
  manifest: Manifest;
  /** The validated spec (defaults filled; disk as stored, normally expanded). */
  spec: Spec;
  /** results.json: the simulator's result; or, in a real-only bundle, a real-disk one (`backend: "real"`). */
  results: ExperimentResult;
  /** results-real.json (version 2): the real-disk result of the same spec, beside the simulator's `results`. */
  realResults?: ExperimentResult;
  /**
   * results-kernel.json (version 4): the kernel result of the same spec (`backend: "kernel"`);
   * `results` is then the comparison simulation (the spec with each run's measured guest overhead).
   */
  kernelResults?: ExperimentResult;
  readme: string;
  /** Chart images by file name without the `charts/` prefix (e.g. `throughput.png`). */
  charts: Record<string, Uint8Array>;
  /** trace.csv text, when present. */
  trace?: string;
  /** Every file's bytes by entry name (manifest included), for inspection or re-export. */
  files: Map<string, Uint8Array>;
}

/** The bundle's experiment is over the cost limits: it opens with `allowLarge` (the UI asks first). */
export class OverLimitsError extends BundleError {
  constructor(
    readonly over: string[],
    readonly summary: string,
  ) {
    super(
      'too-large',
      `${SPEC}: the experiment is over the lab's limits (${over.join('; ')}; estimate: ${summary}); ` +
        'open it only if this machine can hold it (pvblk replay --allow-large)',
      SPEC,
    );
  }
}

export interface ReadOptions {
  limits?: Partial<BundleLimits>;
  /** Open a bundle whose spec is over the cost limits (engine/cost.ts); refused by default. */
  allowLarge?: boolean;
}

/** Largest spec.json a bundle may carry (inflated), bytes. */
export const MAX_SPEC_BYTES = 16 * 1024 * 1024;

const finite = z.number().refine(Number.isFinite, 'expected a finite number');
const numOrNull = z.union([finite, z.null()]);

/** The minimal shape of results.json the app relies on (extra fields are allowed). */
const LatencySchema = z.looseObject({ mean: finite, p50: finite, p95: finite, p99: finite, max: finite });
const ThreadSummarySchema = z.looseObject({
  name: z.string(),
  mbps: finite,
  iops: finite,
  latency_ms: LatencySchema,
});
const RunShapeSchema = z.looseObject({
  params: z.record(z.string(), z.union([z.string(), finite, z.boolean()])),
  /** A stopped run (Simulation.partialResult). */
  partial: z.strictObject({ simulated_s: finite, duration_s: finite }).optional(),
  layout: z.looseObject({
    vms: z.array(z.looseObject({ name: z.string() })),
    threads: z.array(z.looseObject({ name: z.string(), vm: finite, pid: finite })),
    contexts: z.array(z.looseObject({ id: finite, name: z.string() })),
  }),
  summary: z.looseObject({
    total: z.looseObject({ mbps: finite, iops: finite, latency_ms: LatencySchema }),
    disk: z.looseObject({ utilization: finite }),
    fairness: z.looseObject({ jain_vms: numOrNull, jain_threads: numOrNull }),
    vms: z.array(
      z.looseObject({
        name: z.string(),
        mbps: finite,
        iops: finite,
        latency_ms: LatencySchema,
        threads: z.array(ThreadSummarySchema),
      }),
    ),
    native: z.array(ThreadSummarySchema),
  }),
  timeseries: z.looseObject({
    samples: z.array(
      z.looseObject({
        t: finite,
        total_mbps: finite,
        vm_mbps: z.array(finite),
        thread_mbps: z.array(finite),
      }),
    ),
  }),
  trace: z.looseObject({ dispatch: z.array(z.looseObject({ t: finite })), truncated: z.boolean() }),
});
export const ResultsShapeSchema = z.looseObject({
  name: z.string(),
  seed: finite,
  engine_version: z.string(),
  runs: z.array(RunShapeSchema),
  /** A stopped experiment: the runs before the stop and the stopped run (ExperimentResult.partial). */
  partial: z.strictObject({ reason: z.literal('stopped'), runs_total: finite }).optional(),
});
/** A real-disk result (main/node/real): `backend: "real"` and each run's `real` block, as far as readers rely on it. */
/** A run the real-disk backend could not do here (common/result.ts NotRunEntry). */
const NotRunSchema = z.strictObject({
  index: z.number().int().min(0),
  params: z.record(z.string(), z.union([z.string(), finite, z.boolean()])),
  status: z.literal('not-run'),
  reason: z.string().max(4096),
});
export const RealResultsShapeSchema = ResultsShapeSchema.extend({
  backend: z.literal('real'),
  not_run: z.array(NotRunSchema).optional(),
  runs: z.array(
    RunShapeSchema.extend({
      real: z.looseObject({
        device: z.union([z.string(), z.null()]),
        scheduler: z.union([z.string(), z.null()]),
        rotational: z.union([z.boolean(), z.null()]),
        dir: z.string(),
        flags: z.array(z.string()),
      }),
    }),
  ),
});

/** A kernel result (main/node/kernel): `backend: "kernel"` and each run's `kernel` block, as far as readers rely on it. */
export const KernelResultsShapeSchema = ResultsShapeSchema.extend({
  backend: z.literal('kernel'),
  runs: z.array(
    RunShapeSchema.extend({
      kernel: z.looseObject({
        kernel: z.string().max(200),
        accel: z.enum(['kvm', 'tcg']),
        vcpus: z.number().int().min(1).max(1024),
        /** The overhead the comparison simulation used: replay re-simulates with it. */
        sim_overhead_us: z.number().int().min(0).max(10_000_000),
        /** The dispatch gap it simulated after the scheduler (absent in results of before it was measured: 0). */
        sim_dispatch_latency_us: z.number().int().min(0).max(10_000_000).optional(),
        sysfs: z.record(z.string(), z.string()),
        flags: z.array(z.string()),
        notes: z.array(z.string()),
      }),
    }),
  ),
});

/** What each backend's result must look like, and its name in messages. */
const BACKEND_SHAPES = {
  real: { schema: RealResultsShapeSchema, what: 'real-disk result', beside: RESULTS_REAL },
  kernel: { schema: KernelResultsShapeSchema, what: 'kernel result', beside: RESULTS_KERNEL },
} as const;

const dec = new TextDecoder('utf-8', { fatal: true });

function text(name: string, data: Uint8Array): string {
  try {
    return dec.decode(data);
  } catch {
    throw new BundleError('corrupt', `${name}: not valid UTF-8 text`, name);
  }
}

function json(
  name: string,
  data: Uint8Array,
  code: 'invalid-manifest' | 'invalid-spec' | 'invalid-results',
): unknown {
  const t = text(name, data);
  try {
    return JSON.parse(t);
  } catch (e) {
    throw new BundleError(code, `${name}: not valid JSON (${(e as Error).message})`, name);
  }
}

function issues(error: z.ZodError, max = 10): string {
  const lines = error.issues
    .slice(0, max)
    .map((i) => `  ${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
  if (error.issues.length > max) lines.push(`  … and ${error.issues.length - max} more`);
  return lines.join('\n');
}

export interface ResultsCheck {
  /** The file (or field) named in error messages, e.g. `results.json`. */
  file: string;
  /** Required engine_version (the manifest's), if any. */
  engineVersion?: string;
  /**
   * `real`: a real-disk result (backend "real", each run's `real` block); `kernel`: a kernel result
   * (backend "kernel", each run's `kernel` block); `sim`: the simulator's; `any`: any of them.
   */
  backend: 'sim' | 'real' | 'kernel' | 'any';
  /** A sweep shard: the result holds exactly these runs (matrix indices), in this order, with their params. */
  indices?: number[];
}

/** A sweep shard's manifest entry must agree with its spec and hold the indices in matrix order. */
function checkShard(sweep: SweepShard, spec: Spec, manifest: Manifest, hasReal: boolean): void {
  const fail = (msg: string) => {
    throw new BundleError('invalid-manifest', `${MANIFEST}: sweep: ${msg}`, MANIFEST);
  };
  if (hasReal) fail(`a sweep shard holds simulated results only, not ${RESULTS_REAL}`);
  if (sweep.shard > sweep.shards) fail(`shard ${sweep.shard} of ${sweep.shards} does not exist`);
  if (sweep.spec_sha256 !== manifest.files[SPEC])
    fail(`spec_sha256 ${sweep.spec_sha256} is not the sha256 of ${SPEC} (${manifest.files[SPEC]})`);
  const total = matrixSize(spec);
  if (sweep.runs_total !== total)
    fail(`runs_total ${sweep.runs_total}, but the spec's matrix has ${total} runs`);
  sweep.indices.forEach((i, k) => {
    if (i >= total) fail(`indices[${k}]: run ${i} is outside the matrix's ${total} runs`);
    if (k > 0 && i <= sweep.indices[k - 1])
      fail(`indices[${k}]: run ${i} is not after run ${sweep.indices[k - 1]}`);
  });
}

/**
 * A real-disk result's `not_run` list: runs of the spec's matrix (their index and params), each
 * once, in matrix order; the runs done must then be the other runs of the matrix, in order.
 */
function checkNotRun(results: ExperimentResult, spec: Spec, file: string, real: boolean): void {
  const fail = (msg: string): never => {
    throw new BundleError('invalid-results', `${file}: not_run: ${msg}`, file);
  };
  if (!real) fail('only a real-disk result (backend "real") may leave runs of the matrix not run');
  const list = z.array(NotRunSchema).safeParse(results.not_run);
  if (!list.success) fail(`not a list of not-run entries\n${issues(list.error)}`);
  const total = matrixSize(spec);
  const notRun = results.not_run ?? [];
  notRun.forEach((n, k) => {
    if (n.index >= total) fail(`[${k}]: run ${n.index} is outside the matrix's ${total} runs`);
    if (k > 0 && n.index <= notRun[k - 1].index)
      fail(`[${k}]: run ${n.index} is not after run ${notRun[k - 1].index}`);
    const want = JSON.stringify(paramsAt(spec, n.index));
    if (JSON.stringify(n.params) !== want)
      fail(`[${k}].params: ${JSON.stringify(n.params)}, but run ${n.index} of the matrix is ${want}`);
  });
  if (notRun.length >= total) fail('every run of the matrix is listed as not run');
  runMatrixIndices(results).forEach((index, k) => {
    const run = results.runs[k];
    const want = JSON.stringify(paramsAt(spec, index));
    if (run && JSON.stringify(run.params) !== want)
      fail(
        `runs[${k}].params: ${JSON.stringify(run.params)}, but with the runs not run it stands for run ${index} of the matrix, ${want}`,
      );
  });
}

/**
 * A stopped experiment's result: its matrix size, then the first runs of the matrix in order (their
 * params those of the matrix), at least one, only the last one stopped part-way.
 */
function checkPartial(results: ExperimentResult, spec: Spec, file: string): void {
  const total = matrixSize(spec);
  const fail = (msg: string) => {
    throw new BundleError('invalid-results', `${file}: ${msg}`, file);
  };
  const p = results.partial;
  if (p?.runs_total !== total) fail(`partial.runs_total: ${p?.runs_total}, but the spec has ${total} runs`);
  if (results.runs.length < 1 || results.runs.length > total)
    fail(`runs: ${results.runs.length} runs in a stopped experiment of ${total}`);
  results.runs.forEach((run, k) => {
    const want = JSON.stringify(paramsAt(spec, k));
    if (JSON.stringify(run.params) !== want)
      fail(`runs[${k}].params: ${JSON.stringify(run.params)}, but run ${k} of the matrix is ${want}`);
    if (run.partial && k !== results.runs.length - 1)
      fail(`runs[${k}] is marked partial, but only the last run of a stopped experiment can be`);
    if (run.partial && !(run.partial.simulated_s >= 0 && run.partial.simulated_s <= run.partial.duration_s))
      fail(
        `runs[${k}].partial.simulated_s: ${run.partial.simulated_s} is outside 0..${run.partial.duration_s}`,
      );
  });
}

/**
 * Checks that `raw` is shaped like a result of `spec` (the shape readers rely on, one run per
 * matrix cell, the expected backend and engine version) and returns it; throws an
 * `invalid-results` BundleError naming `opts.file` otherwise.
 */
export function checkResults(raw: unknown, spec: Spec, opts: ResultsCheck): ExperimentResult {
  const { file } = opts;
  const backend = raw && typeof raw === 'object' ? (raw as { backend?: unknown }).backend : undefined;
  const measured = opts.backend === 'real' || opts.backend === 'kernel' ? BACKEND_SHAPES[opts.backend] : null;
  if (measured && backend !== opts.backend)
    throw new BundleError(
      'invalid-results',
      `${file}: backend is ${JSON.stringify(backend ?? null)}; expected "${opts.backend}" (a ${measured.what})`,
      file,
    );
  if (opts.backend === 'sim' && (backend === 'real' || backend === 'kernel'))
    throw new BundleError(
      'invalid-results',
      `${file}: backend is "${backend}"; beside ${BACKEND_SHAPES[backend].beside} it must hold the simulator's result`,
      file,
    );
  const r = (measured?.schema ?? ResultsShapeSchema).safeParse(raw);
  if (!r.success)
    throw new BundleError(
      'invalid-results',
      `${file}: not a ${measured ? measured.what : 'result'} JSON\n${issues(r.error)}`,
      file,
    );
  // The input itself, not zod's copy: the schema only checks, and the copy would reorder keys
  // (known ones first), so a re-written results.json (a merged sweep) would not be byte-identical.
  const results = raw as ExperimentResult;
  if (results.not_run !== undefined) checkNotRun(results, spec, file, backend === 'real');
  const notRun = results.not_run?.length ?? 0;
  const expected = opts.indices ? opts.indices.length : matrixSize(spec) - notRun;
  if (results.partial && !opts.indices) checkPartial(results, spec, file);
  else if (results.runs.some((r) => r.partial))
    throw new BundleError(
      'invalid-results',
      `${file}: a run is marked partial, but the result is not (a stopped experiment's result carries "partial")`,
      file,
    );
  else if (results.runs.length !== expected)
    throw new BundleError(
      'invalid-results',
      opts.indices
        ? `${file}: runs: ${results.runs.length} runs, but the shard lists ${expected} run indices`
        : `${file}: runs: ${results.runs.length} runs, but the spec has ${expected}${notRun ? ` besides the ${notRun} not run` : ''}`,
      file,
    );
  opts.indices?.forEach((index, k) => {
    const want = JSON.stringify(paramsAt(spec, index));
    if (JSON.stringify(results.runs[k].params) !== want)
      throw new BundleError(
        'invalid-results',
        `${file}: runs[${k}].params: ${JSON.stringify(results.runs[k].params)}, but run ${index} of the matrix is ${want}`,
        file,
      );
  });
  if (opts.engineVersion !== undefined && results.engine_version !== opts.engineVersion)
    throw new BundleError(
      'invalid-results',
      `${file}: engine_version ${JSON.stringify(results.engine_version)} differs from the manifest's ${JSON.stringify(opts.engineVersion)}`,
      file,
    );
  return results;
}

/**
 * A kernel result as `pvblk kernel --out` wrote it before format version 4 (results.json with
 * `backend: "kernel"` and the comparison simulation in `simulated`): the two parts, else null.
 */
function legacyKernel(raw: unknown): { kernel: unknown; sim: unknown } | null {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const { simulated, ...kernel } = raw as Record<string, unknown>;
  if (kernel.backend !== 'kernel' || !simulated || typeof simulated !== 'object') return null;
  return { kernel, sim: simulated };
}

/** Read and check a bundle from a file path or its bytes. Throws BundleError on any problem. */
export async function readBundle(pathOrBytes: string | Uint8Array, opts: ReadOptions = {}): Promise<Bundle> {
  let bytes: Uint8Array;
  const what = typeof pathOrBytes === 'string' ? pathOrBytes : 'bundle';
  if (typeof pathOrBytes === 'string') {
    const { readFile, stat } = await import('node:fs/promises');
    const limits = { ...DEFAULT_LIMITS, ...opts.limits };
    try {
      const st = await stat(pathOrBytes);
      if (!st.isFile()) throw new BundleError('io', `${pathOrBytes}: not a regular file`);
      if (st.size > limits.maxTotalBytes + 64 * 1024 * 1024)
        throw new BundleError('too-large', `${pathOrBytes}: ${st.size} bytes; larger than any valid bundle`);
      const buf = await readFile(pathOrBytes);
      bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (e) {
      if (e instanceof BundleError) throw e;
      throw new BundleError(
        'io',
        `${pathOrBytes}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      );
    }
  } else bytes = pathOrBytes;
  try {
    return await parseBundle(bytes, opts, what);
  } catch (e) {
    if (e instanceof BundleError) throw e;
    // Defence in depth: hostile input must never surface as anything but a BundleError.
    throw new BundleError('internal', `${what}: unreadable bundle (${(e as Error)?.message ?? String(e)})`);
  }
}

async function parseBundle(bytes: Uint8Array, opts: ReadOptions, what: string): Promise<Bundle> {
  const limits: BundleLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const entries = listZip(bytes, limits, what);

  // Names first: only files some readable version knows, the manifest present (the manifest's own
  // version is checked against its files below).
  for (const e of entries)
    if (e.name !== MANIFEST && !isKnownFile(e.name, LATEST_FORMAT_VERSION))
      throw new BundleError(
        'unknown-file',
        `${what}: unexpected entry ${JSON.stringify(e.name)} (not part of bundle format ${LATEST_FORMAT_VERSION})`,
        e.name,
      );
  const byName = new Map(entries.map((e) => [e.name, e]));
  const manifestEntry = byName.get(MANIFEST);
  if (!manifestEntry)
    throw new BundleError('missing-file', `${what}: no ${MANIFEST}; not a PV Block Lab bundle`, MANIFEST);

  // The manifest: format and version before anything else.
  const rawManifest = json(MANIFEST, extractEntry(bytes, manifestEntry, what), 'invalid-manifest');
  if (!rawManifest || typeof rawManifest !== 'object' || Array.isArray(rawManifest))
    throw new BundleError('invalid-manifest', `${MANIFEST}: expected a JSON object`, MANIFEST);
  const m = rawManifest as Record<string, unknown>;
  if (m.format !== BUNDLE_FORMAT)
    throw new BundleError(
      'invalid-manifest',
      `${MANIFEST}: format is ${JSON.stringify(m.format)}, expected "${BUNDLE_FORMAT}"`,
      MANIFEST,
    );
  if (!(READABLE_FORMAT_VERSIONS as readonly unknown[]).includes(m.format_version))
    throw new BundleError(
      'format-version',
      `${MANIFEST}: unknown bundle format_version ${JSON.stringify(m.format_version)} (this app reads versions ${READABLE_FORMAT_VERSIONS.slice(0, -1).join(', ')} and ${READABLE_FORMAT_VERSIONS.at(-1)}; a newer app may read it)`,
      MANIFEST,
    );
  const parsed = ManifestSchema.safeParse(rawManifest);
  if (!parsed.success)
    throw new BundleError(
      'invalid-manifest',
      `${MANIFEST}: invalid manifest\n${issues(parsed.error)}`,
      MANIFEST,
    );
  const manifest = parsed.data;
  const version: BundleFormatVersion = manifest.format_version;
  for (const e of entries)
    if (e.name !== MANIFEST && !isKnownFile(e.name, version))
      throw new BundleError(
        'unknown-file',
        `${what}: unexpected entry ${JSON.stringify(e.name)} (not part of bundle format ${version})`,
        e.name,
      );

  // Manifest and zip must list the same files.
  for (const name of Object.keys(manifest.files)) {
    if (name === MANIFEST) throw new BundleError('invalid-manifest', `${MANIFEST}: lists itself`, MANIFEST);
    if (!isKnownFile(name, version))
      throw new BundleError(
        'invalid-manifest',
        `${MANIFEST}: lists ${JSON.stringify(name)}, which is not part of format ${version}`,
        name,
      );
    if (!byName.has(name))
      throw new BundleError(
        'missing-file',
        `${what}: ${name} is listed in the manifest but missing from the zip`,
        name,
      );
  }
  for (const e of entries)
    if (e.name !== MANIFEST && !(e.name in manifest.files))
      throw new BundleError(
        'unknown-file',
        `${what}: entry ${JSON.stringify(e.name)} is not listed in the manifest`,
        e.name,
      );
  for (const name of REQUIRED_FILES)
    if (!byName.has(name)) throw new BundleError('missing-file', `${what}: ${name} is missing`, name);

  // Inflate (bounded) and verify a file against the manifest's sha256.
  const files = new Map<string, Uint8Array>();
  const inflate = async (e: ZipEntry): Promise<void> => {
    const data = extractEntry(bytes, e, what);
    if (e.name !== MANIFEST) {
      const h = await sha256Hex(data);
      if (h !== manifest.files[e.name])
        throw new BundleError(
          'hash',
          `${e.name}: sha256 ${h} does not match the manifest (${manifest.files[e.name]})`,
          e.name,
        );
    }
    files.set(e.name, data);
  };

  // spec.json first: it must validate, and its cost bounds what the results may weigh — checked
  // before any result is inflated or parsed, so a small bundle cannot cost gigabytes to open.
  const specEntry = byName.get(SPEC)!;
  if (specEntry.size > MAX_SPEC_BYTES)
    throw new BundleError(
      'too-large',
      `${SPEC}: ${specEntry.size} bytes; a spec is at most ${MAX_SPEC_BYTES}`,
      SPEC,
    );
  await inflate(specEntry);
  // A sweep (shard or merged) may exceed the interactive matrix cap: allow as many runs as the
  // bundle can hold — a shard's declared total, else what results.json's stored size has room for
  // (a run's result is far over 64 bytes) — so a small bundle cannot ask for a huge expansion.
  const rawSpec = json(SPEC, files.get(SPEC)!, 'invalid-spec');
  const sweep = manifest.sweep;
  if (sweep && version < SWEEP_SHARD_FORMAT_VERSION)
    throw new BundleError(
      'invalid-manifest',
      `${MANIFEST}: sweep: a sweep shard needs format_version ${SWEEP_SHARD_FORMAT_VERSION}, not ${version}`,
      MANIFEST,
    );
  const declaredRuns = sweep ? sweep.runs_total : Math.floor((byName.get(RESULTS)?.size ?? 0) / 64);
  const v = validateSpec(rawSpec, {
    maxRuns: Math.min(MAX_BUNDLE_RUNS, Math.max(MAX_MATRIX_RUNS, declaredRuns)),
  });
  if (!v.ok)
    throw new BundleError(
      'invalid-spec',
      `${SPEC}: invalid spec\n${formatErrors(v.errors).replace(/^/gm, '  ')}`,
      SPEC,
    );
  const spec = v.spec;
  const cost = estimateSpecCost(
    spec,
    expandMatrix(spec).map((r) => r.spec),
  );
  const over = costOverLimits(cost);
  if (over.length && !opts.allowLarge) throw new OverLimitsError(over, formatCost(cost));
  for (const name of [RESULTS, RESULTS_REAL, RESULTS_KERNEL]) {
    const e = byName.get(name);
    if (e && e.size > cost.total.resultJsonBytes)
      throw new BundleError(
        'too-large',
        `${name}: ${e.size} bytes, but a result of this spec takes at most ${cost.total.resultJsonBytes} (${formatCost(cost)})`,
        name,
      );
  }
  for (const e of entries) if (e.name !== SPEC) await inflate(e);

  // results.json (and results-real.json, results-kernel.json) must look like results of that spec.
  let rawResults = json(RESULTS, files.get(RESULTS)!, 'invalid-results');
  const realBytes = files.get(RESULTS_REAL);
  const kernelBytes = files.get(RESULTS_KERNEL);
  let rawKernel = kernelBytes ? json(RESULTS_KERNEL, kernelBytes, 'invalid-results') : undefined;
  // Before version 4, `pvblk kernel --out` stored the kernel result as results.json with the
  // comparison simulation in its `simulated` field: read as results.json + results-kernel.json.
  const legacy = legacyKernel(rawResults);
  if (legacy && !kernelBytes && !realBytes && !sweep) {
    rawResults = legacy.sim;
    rawKernel = legacy.kernel;
  }
  if (sweep) checkShard(sweep, spec, manifest, realBytes !== undefined || kernelBytes !== undefined);
  const results = checkResults(rawResults, spec, {
    file: legacy && rawKernel === legacy.kernel ? `${RESULTS} (simulated)` : RESULTS,
    engineVersion: manifest.engine_version,
    backend: realBytes || rawKernel !== undefined || sweep ? 'sim' : 'any',
    ...(sweep ? { indices: sweep.indices } : {}),
  });
  const realResults = realBytes
    ? checkResults(json(RESULTS_REAL, realBytes, 'invalid-results'), spec, {
        file: RESULTS_REAL,
        engineVersion: manifest.engine_version,
        backend: 'real',
      })
    : undefined;
  const kernelResults =
    rawKernel !== undefined
      ? checkResults(rawKernel, spec, {
          file: kernelBytes ? RESULTS_KERNEL : RESULTS,
          engineVersion: manifest.engine_version,
          backend: 'kernel',
        })
      : undefined;
  if (kernelResults && kernelResults.runs.length !== results.runs.length)
    throw new BundleError(
      'invalid-results',
      `${RESULTS_KERNEL}: ${kernelResults.runs.length} runs, but ${RESULTS} (its comparison simulation) has ${results.runs.length}`,
      RESULTS_KERNEL,
    );

  const charts: Record<string, Uint8Array> = {};
  for (const [name, data] of files) if (CHART_RE.test(name)) charts[name.slice('charts/'.length)] = data;
  const traceBytes = files.get(TRACE);
  return {
    manifest,
    spec,
    results,
    ...(realResults ? { realResults } : {}),
    ...(kernelResults ? { kernelResults } : {}),
    readme: text(README, files.get(README)!),
    charts,
    ...(traceBytes ? { trace: text(TRACE, traceBytes) } : {}),
    files,
  };
}
