/**
 * The Node side of the API contract: validates every call (method name and argument tuple, with
 * zod) and dispatches it. Shared by the Electron IPC wiring and the browser-mode server.
 */
import { randomUUID } from 'node:crypto';
import {
  API_ARGS,
  ApiMethodSchema,
  type CostInfo,
  type ExportBundleReply,
  type ImportConfirm,
  type ImportedBundle,
  type KernelPathKind,
  type KernelRunOptions,
  MAX_BUNDLE_BYTES,
  type PresetInfo,
  type RealDirCheck,
  type ValidationResult,
  type VerifyReply,
} from '../../common/api';
import { ownValue } from '../../common/own';
import type { ExperimentResult } from '../../common/result';
import { isSweepParams } from '../../common/spec/matrix';
import { DiskSpecSchema, type Spec, SpecSchema } from '../../common/spec/schema';
import { costOverLimits, estimateSpecCost, formatCost } from '../../engine/cost';
import { ENGINE_VERSION } from '../../engine/version';
import { buildBundle } from '../bundle/build';
import { BundleError, checkResults, OverLimitsError, readBundle } from '../bundle/read';
import { compareResults, rerunKernelSim, rerunLike } from '../bundle/replay';
import { checkKernel } from '../kernel/check';
import { checkDir, deviceOf, RealRefusal } from '../real/index';
import { heldRun, holdSweep, summariesOnly } from '../sweep/held';
import { previewTraceFile, validateTraceFile } from '../trace/api';
import { packTraces } from '../trace/bundle';
import { ActivityWindowError, activityWindow } from './activity-window';
import {
  characterizeDisk,
  DEFAULT_PRESET,
  DISK_PRESETS,
  EXPERIMENT_PRESETS,
  expandMatrix,
  formatZodIssues,
  resolveDiskSpec,
  validateSpec,
} from './engine';
import type { SessionManager } from './manager';

export class ApiError extends Error {}

/** A spec's validation errors in one line, as every method that takes a spec reports them. */
const invalidSpec = (errors: { path: string; message: string }[]): string =>
  `invalid spec: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`;

/** Host-specific methods (file dialogs, settings); absent in browser mode, where the renderer does them. */
export interface HostServices {
  loadSpec?(): Promise<{ name: string; spec: unknown } | null>;
  saveSpec?(spec: unknown, suggestedName: string): Promise<boolean>;
  saveResult?(result: unknown, suggestedName: string): Promise<boolean>;
  loadResult?(): Promise<{ name: string; result: unknown } | null>;
  getLastSpec?(): Promise<unknown>;
  setLastSpec?(spec: unknown): Promise<void>;
  /** Saves a built bundle (Electron: save dialog, then an atomic write). */
  saveBundle?(bytes: Uint8Array, fileName: string): Promise<{ saved: boolean; path?: string }>;
  /** Picks a folder for the real-disk backend (Electron: folder dialog); null when cancelled. */
  pickRealDir?(): Promise<string | null>;
  /** Picks a kernel option's path (Electron: file or folder dialog); null when cancelled. */
  pickKernelPath?(kind: KernelPathKind): Promise<string | null>;
  /** Picks a bundle file and returns its bytes (Electron: open dialog); null when cancelled. */
  openBundle?(): Promise<{ name: string; bytes: Uint8Array } | null>;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function bundleFileName(name: string): string {
  return `${name.replace(/[^\w.-]+/g, '_').slice(0, 120) || 'experiment'}.pvblk.zip`;
}

/**
 * Builds a bundle of a finished experiment: the spec (validated, defaults filled), its result
 * (checked as the bundle reader checks results.json: the shape readers rely on, one run per matrix
 * cell), an optional real-disk result of the same spec (checked as results-real.json; `result`
 * must then be the simulator's), an optional kernel result (checked as results-kernel.json;
 * `result` must then be its comparison simulation) and chart PNGs. The bytes are read back strictly before anyone
 * sees them, so an exported bundle always imports.
 */
export async function exportBundleBytes(req: {
  spec: unknown;
  result: unknown;
  real?: unknown;
  kernel?: unknown;
  charts?: Record<string, string>;
}): Promise<{ bytes: Uint8Array; fileName: string }> {
  const v = validateSpec(req.spec);
  if (!v.ok) throw new ApiError(invalidSpec(v.errors));
  const check = (raw: unknown, file: string, backend: 'sim' | 'real' | 'kernel' | 'any'): ExperimentResult =>
    checkAtBoundary(raw, v.spec, file, backend);
  const hasReal = req.real !== undefined;
  const hasKernel = req.kernel !== undefined;
  const result = check(req.result, 'result', hasReal || hasKernel ? 'sim' : 'any');
  const real = hasReal ? check(req.real, 'real result', 'real') : undefined;
  const kernel = hasKernel ? check(req.kernel, 'kernel result', 'kernel') : undefined;
  const charts: Record<string, Uint8Array> = {};
  for (const [name, b64] of Object.entries(req.charts ?? {})) {
    const png = new Uint8Array(Buffer.from(b64, 'base64'));
    if (!PNG_MAGIC.every((b, k) => png[k] === b)) throw new ApiError(`chart ${name}: not a PNG image`);
    charts[name] = png;
  }
  const packed = packTraces(v.spec);
  const bytes = await buildBundle(packed.spec, result, {
    charts,
    traceFiles: packed.files,
    ...(real ? { real } : {}),
    ...(kernel ? { kernel } : {}),
  });
  if (bytes.length > MAX_BUNDLE_BYTES)
    throw new ApiError(`the bundle would be ${(bytes.length / 2 ** 20).toFixed(1)} MiB; the limit is 64 MiB`);
  try {
    await readBundle(bytes);
  } catch (e) {
    throw new ApiError(`the exported bundle does not read back: ${(e as Error).message}`);
  }
  return { bytes, fileName: bundleFileName(v.spec.name) };
}

/** checkResults at the API boundary: a result not shaped as `backend`'s is an ApiError naming `file`. */
function checkAtBoundary(
  raw: unknown,
  spec: Spec,
  file: string,
  backend: 'sim' | 'real' | 'kernel' | 'any',
): ExperimentResult {
  try {
    return checkResults(raw, spec, { file, backend });
  } catch (e) {
    if (e instanceof BundleError) throw new ApiError(e.message);
    throw e;
  }
}

/** The bundle's experiment is over the cost limits: the user may open it anyway (ImportConfirm). */
export class ImportOverLimits extends ApiError {
  constructor(
    message: string,
    readonly over: string[],
    readonly summary: string,
  ) {
    super(message);
  }
}

/** Reads a bundle strictly; a broken or hostile one is an ApiError carrying the BundleError message. */
export async function importBundleBytes(
  bytes: Uint8Array,
  name: string,
  opts: { allowLarge?: boolean } = {},
): Promise<ImportedBundle> {
  if (bytes.length > MAX_BUNDLE_BYTES) throw new ApiError(`${name}: larger than the 64 MiB bundle limit`);
  try {
    const b = await readBundle(bytes, { allowLarge: opts.allowLarge });
    const charts: Record<string, string> = {};
    for (const [file, png] of Object.entries(b.charts)) charts[file] = Buffer.from(png).toString('base64');
    // A sweep goes to the UI as summaries; its runs' detail is fetched when opened (bundleRun).
    const sweep = !b.realResults && !b.kernelResults && isSweepParams(b.results.runs.map((r) => r.params));
    return {
      name,
      spec: b.spec,
      result: sweep ? summariesOnly(b.results) : b.results,
      ...(sweep ? { sweep: { id: holdSweep(b.results) } } : {}),
      ...(b.realResults ? { real: b.realResults } : {}),
      ...(b.kernelResults ? { kernel: b.kernelResults } : {}),
      charts,
      engineVersion: b.manifest.engine_version,
      created: b.manifest.created,
      verified: false,
    };
  } catch (e) {
    const message = `${name}: ${(e as Error).message.replace(/^bundle: /, '')}`;
    if (e instanceof OverLimitsError) throw new ImportOverLimits(message, e.over, e.summary);
    if (e instanceof BundleError) throw new ApiError(message);
    throw e;
  }
}

/** The real-disk folder check: checkDir's refusal as an answer, not an exception. */
export function checkRealDir(dir: string): RealDirCheck {
  try {
    const real = checkDir(dir);
    const d = deviceOf(real);
    return { ok: true, dir: real, device: d.device, scheduler: d.scheduler, rotational: d.rotational };
  } catch (e) {
    if (e instanceof RealRefusal) return { ok: false, error: e.message };
    return { ok: false, error: `${dir}: ${(e as Error).message}` };
  }
}

/** The presets, the default experiment first. */
export function listPresets(): PresetInfo[] {
  const entries = Object.entries(EXPERIMENT_PRESETS);
  entries.sort((a, b) => Number(b[0] === DEFAULT_PRESET) - Number(a[0] === DEFAULT_PRESET));
  return entries.map(([name, p]) => ({
    name,
    title: p.title,
    description: p.description,
    matrix: p.spec.matrix !== undefined && Object.keys(p.spec.matrix).length > 0,
  }));
}

/** A valid spec's cost: one line, and the limits it is over. */
export function specCost(spec: Spec): CostInfo {
  const runs = expandMatrix(spec);
  const cost = estimateSpecCost(
    spec,
    runs.map((r) => r.spec),
  );
  return { summary: formatCost(cost), over: costOverLimits(cost) };
}

export function checkSpec(spec: unknown): ValidationResult {
  const v = validateSpec(spec);
  if (!v.ok) return { ok: false, errors: v.errors };
  return { ok: true, runs: expandMatrix(v.spec).length, cost: specCost(v.spec) };
}

/**
 * Re-runs an imported spec and compares with the stored simulated result (as `pvblk replay`):
 * the UI marks an import "not verified" until this agrees.
 */
export async function verifyImport(req: {
  spec: unknown;
  result: unknown;
  kernel?: unknown;
}): Promise<VerifyReply> {
  const v = validateSpec(req.spec);
  if (!v.ok) throw new ApiError(invalidSpec(v.errors));
  const cost = specCost(v.spec);
  if (cost.over.length)
    throw new ApiError(`too large to replay here: ${cost.over.join('; ')} (${cost.summary})`);
  const stored = checkAtBoundary(req.result, v.spec, 'result', 'sim');
  // A kernel result's comparison simulation is re-simulated with each run's measured overhead.
  const kernel =
    req.kernel === undefined ? undefined : checkAtBoundary(req.kernel, v.spec, 'kernel result', 'kernel');
  let now: ExperimentResult;
  try {
    now = kernel ? await rerunKernelSim(v.spec, stored, kernel) : await rerunLike(v.spec, stored);
  } catch (e) {
    if (e instanceof BundleError) throw new ApiError(e.message);
    throw e;
  }
  const { differences, count } = compareResults(stored, now, 20);
  return {
    identical: count === 0,
    differenceCount: count,
    differences,
    ...(stored.engine_version !== ENGINE_VERSION
      ? {
          note: `made with engine ${stored.engine_version}, this is engine ${ENGINE_VERSION}; numbers may differ because the model changed`,
        }
      : {}),
  };
}

export function createApiHandler(manager: SessionManager, host: HostServices = {}) {
  /** A bundle over the cost limits, held until the user confirms its import (ImportConfirm). */
  let heldImport: { id: string; bytes: Uint8Array; name: string } | null = null;
  return async function call(method: unknown, rawArgs: unknown): Promise<unknown> {
    const m = ApiMethodSchema.safeParse(method);
    if (!m.success) throw new ApiError(`unknown method ${JSON.stringify(method)}`);
    const parsed = API_ARGS[m.data].safeParse(rawArgs ?? []);
    if (!parsed.success) {
      throw new ApiError(
        `invalid arguments for ${m.data}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(args)'}: ${i.message}`).join('; ')}`,
      );
    }
    const a = parsed.data as unknown[];
    switch (m.data) {
      case 'listPresets':
        return listPresets();
      case 'getPreset': {
        const p = ownValue(EXPERIMENT_PRESETS, a[0] as string);
        if (!p) throw new ApiError(`unknown preset ${a[0]}`);
        return structuredClone(p.spec);
      }
      case 'validateSpec':
        return checkSpec(a[0]);
      case 'startRun': {
        const req = a[0] as {
          spec: unknown;
          pacing: 'max' | 1 | 10 | 100;
          real?: { dir: string; sizeGb: number };
          kernel?: KernelRunOptions;
          allowLarge?: boolean;
        };
        const v = validateSpec(req.spec);
        if (!v.ok) throw new ApiError(invalidSpec(v.errors));
        if (req.real && req.kernel) throw new ApiError('startRun: choose one backend, real or kernel');
        if (req.real) return manager.startReal(v.spec, req.real);
        if (req.kernel) return manager.startKernel(v.spec, req.kernel);
        const cost = specCost(v.spec);
        if (cost.over.length && !req.allowLarge)
          throw new ApiError(
            `too large to run without confirming: ${cost.over.join('; ')} (estimate: ${cost.summary}); confirm to run anyway`,
          );
        return manager.start(req.spec, req.pacing);
      }
      case 'checkRealDir':
        return checkRealDir(a[0] as string);
      case 'pickKernelPath':
        if (!host.pickKernelPath) throw new ApiError('pickKernelPath: type the path (browser mode)');
        return host.pickKernelPath(a[0] as KernelPathKind);
      case 'checkKernel': {
        const req = a[0] as { spec: unknown; options: KernelRunOptions };
        const v = validateSpec(req.spec);
        if (!v.ok)
          return {
            ok: false,
            spec: true,
            error: invalidSpec(v.errors),
          };
        return checkKernel(v.spec, req.options);
      }
      case 'previewTrace':
        return previewTraceFile(a[0] as Parameters<typeof previewTraceFile>[0]);
      case 'validateTrace':
        return validateTraceFile(a[0] as Parameters<typeof validateTraceFile>[0]);
      case 'pickRealDir':
        if (!host.pickRealDir) throw new ApiError('pickRealDir: type the folder path (browser mode)');
        return host.pickRealDir();
      case 'setPacing':
        manager.setPacing(a[0] as string, a[1] as 'max' | 1 | 10 | 100);
        return null;
      case 'pause':
        manager.pause(a[0] as string);
        return null;
      case 'resume':
        manager.resume(a[0] as string);
        return null;
      case 'stop':
        manager.stop(a[0] as string);
        return null;
      case 'characterizeDisk': {
        // Accepts a whole experiment spec (its `disk` is used, or the spec's default disk when it
        // has none) or a disk spec / {preset}.
        const raw = a[0] as Record<string, unknown> | null;
        const isExperiment =
          raw !== null &&
          typeof raw === 'object' &&
          ['disk', 'vms', 'native', 'name', 'duration_s', 'host'].some((k) => k in raw);
        const input = isExperiment ? raw.disk : raw;
        const disk = isExperiment ? SpecSchema.shape.disk.safeParse(input) : DiskSpecSchema.safeParse(input);
        if (!disk.success) {
          // the words of spec validation (messages.ts), each under its disk.* path
          const errors = formatZodIssues(disk.error, input, 'disk');
          throw new ApiError(`invalid disk: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
        }
        try {
          return characterizeDisk(resolveDiskSpec(disk.data));
        } catch (e) {
          throw new ApiError(`invalid disk: ${(e as Error).message}`);
        }
      }
      case 'listDiskPresets':
        return Object.entries(DISK_PRESETS).map(([name, p]) => ({
          name,
          description: p.description,
          spec: structuredClone(p.spec),
        }));
      case 'loadSpec':
        if (!host.loadSpec) throw new ApiError('loadSpec is handled by the browser');
        return host.loadSpec();
      case 'saveSpec':
        if (!host.saveSpec) throw new ApiError('saveSpec is handled by the browser');
        return host.saveSpec(a[0], a[1] as string);
      case 'saveResult':
        if (!host.saveResult) throw new ApiError('saveResult is handled by the browser');
        return host.saveResult(a[0], a[1] as string);
      case 'loadResult':
        if (!host.loadResult) throw new ApiError('loadResult is handled by the browser');
        return host.loadResult();
      case 'getLastSpec':
        return host.getLastSpec ? host.getLastSpec() : null;
      case 'setLastSpec':
        if (host.setLastSpec) await host.setLastSpec(a[0]);
        return null;
      case 'exportBundle': {
        const { bytes, fileName } = await exportBundleBytes(
          a[0] as {
            spec: unknown;
            result: unknown;
            real?: unknown;
            kernel?: unknown;
            charts?: Record<string, string>;
          },
        );
        if (host.saveBundle) return (await host.saveBundle(bytes, fileName)) satisfies ExportBundleReply;
        return { base64: Buffer.from(bytes).toString('base64'), fileName } satisfies ExportBundleReply;
      }
      case 'importBundle': {
        const req = a[0] as { base64: string; name?: string } | { confirm: string } | undefined;
        if (req && 'confirm' in req) {
          const held = heldImport;
          if (held?.id !== req.confirm) throw new ApiError('that bundle is no longer held: import it again');
          heldImport = null;
          return importBundleBytes(held.bytes, held.name, { allowLarge: true });
        }
        let picked: { bytes: Uint8Array; name: string } | null;
        if (req)
          picked = { bytes: new Uint8Array(Buffer.from(req.base64, 'base64')), name: req.name ?? 'bundle' };
        else if (!host.openBundle) throw new ApiError('importBundle: give the bundle bytes (browser mode)');
        else picked = await host.openBundle();
        if (!picked) return null;
        try {
          return await importBundleBytes(picked.bytes, picked.name);
        } catch (e) {
          if (!(e instanceof ImportOverLimits)) throw e;
          // Over the cost limits: held (one bundle, the latest) until the user confirms.
          heldImport = { id: randomUUID(), ...picked };
          return {
            confirm: { id: heldImport.id, name: picked.name, summary: e.summary, over: e.over },
          } satisfies ImportConfirm;
        }
      }
      case 'verifyImport':
        return verifyImport(a[0] as { spec: unknown; result: unknown; kernel?: unknown });
      case 'activityWindow':
        try {
          return await activityWindow(a[0] as Parameters<typeof activityWindow>[0]);
        } catch (e) {
          if (e instanceof ActivityWindowError) throw new ApiError(e.message);
          throw e;
        }
      case 'bundleRun':
        try {
          return heldRun(a[0] as string, a[1] as number);
        } catch (e) {
          throw new ApiError((e as Error).message);
        }
    }
  };
}
