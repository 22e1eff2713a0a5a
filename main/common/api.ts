/**
 * The one typed API between the renderer and the Node side (Electron main or `pvblk serve`).
 * Two transports carry it, Electron IPC (preload bridge) and HTTP + WebSocket (browser mode);
 * the renderer only sees `PvblkApi`. Every request crossing a boundary is checked against
 * `API_ARGS` with zod, and every event against `EventEnvelopeSchema`.
 */

import { z } from 'zod';
import type { DiskCharacterization } from './disk/characterization';
import type { ActivityEvent, DispatchPoint, ExperimentResult, RunLayout, RunResult, Sample } from './result';
import { TRACE_FORMATS } from './spec/schema';
import type { TracePreview, ValidationReport } from './trace';

export const PACINGS = ['max', 1, 10, 100] as const;
export type Pacing = (typeof PACINGS)[number];
export const PacingSchema = z.union([z.literal('max'), z.literal(1), z.literal(10), z.literal(100)]);

export type ParamValue = string | number | boolean;

export interface PresetInfo {
  name: string;
  title: string;
  description: string;
  /** True when the preset's spec has a `matrix` (several runs). */
  matrix: boolean;
}

export interface DiskPresetInfo {
  name: string;
  description: string;
  /** The preset's full disk model (to start a custom model from). */
  spec: Record<string, unknown>;
}

export interface ValidationError {
  path: string;
  message: string;
}

/** A valid spec's estimated cost (engine/cost.ts): one line, and the limits it is over (empty: none). */
export interface CostInfo {
  summary: string;
  over: string[];
}

export type ValidationResult =
  | { ok: true; runs: number; cost?: CostInfo }
  | { ok: false; errors: ValidationError[] };

/** verifyImport's answer: an imported result against a fresh run of its spec. */
export interface VerifyReply {
  identical: boolean;
  differenceCount: number;
  /** The first differences, readable (`runs[0].summary.total.mbps: 41.2 (bundle) vs 40.9 (now)`). */
  differences: string[];
  /** Why the comparison says less than it seems (real-disk results, another engine version). */
  note?: string;
}

/** A disk model's characterization (the engine's characterizeDisk), for the disk charts. */
export type { DiskCharacterization } from './disk/characterization';

/** A path on the Node side's machine (a folder, a kernel, a binary). */
const HostPath = z.string().min(1).max(4096);
/** Options of the kernel backend (pvblk kernel's --vcpus, --kernel, --modules, --qemu); see docs/kernel.md. */
const KernelOptionsSchema = z.strictObject({
  vcpus: z.number().int().min(1).max(64).optional(),
  kernel: HostPath.optional(),
  modules: HostPath.optional(),
  qemu: HostPath.optional(),
});

/** A spec as JSON (validated on the Node side, where the schema's defaults are applied). */
const SpecJson = z.unknown();
const RunId = z.string().min(1).max(64);

/** Largest bundle (zip bytes) the UI exports or imports; base64 adds a third. */
export const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;
export const MAX_BUNDLE_BASE64 = Math.ceil(MAX_BUNDLE_BYTES / 3) * 4;
/** Largest HTTP body for the bundle methods (the base64 payload plus JSON framing). */
export const MAX_BUNDLE_BODY = MAX_BUNDLE_BASE64 + 1024 * 1024;
const Base64 = z
  .string()
  .max(MAX_BUNDLE_BASE64, 'larger than the 64 MiB bundle limit')
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64');
const ChartName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, ".", "_", "-"');
/** Methods whose payload may be a whole bundle (the server allows them a larger body). */
export const BUNDLE_METHODS = ['exportBundle', 'importBundle'] as const;

/** Argument tuples of every method, validated at each boundary. */
export const API_ARGS = {
  listPresets: z.tuple([]),
  getPreset: z.tuple([z.string().min(1).max(200)]),
  validateSpec: z.tuple([SpecJson]),
  startRun: z.tuple([
    z.strictObject({
      spec: SpecJson,
      pacing: PacingSchema,
      /** Present: run on real files in `dir` (the real-disk backend) instead of simulating. */
      real: z
        .strictObject({ dir: z.string().min(1).max(4096), sizeGb: z.number().positive().max(1024) })
        .optional(),
      /** Present: run under a real Linux kernel in QEMU on the lab's disk model (the kernel backend). */
      kernel: KernelOptionsSchema.optional(),
      /** The user confirmed a spec whose estimated cost is over the limits (validateSpec's `cost.over`). */
      allowLarge: z.boolean().optional(),
    }),
  ]),
  /** Checks a folder for the real-disk backend (checkDir) and reports its device. */
  checkRealDir: z.tuple([z.string().max(4096)]),
  /** Host folder dialog (Electron); browser mode types the path instead. */
  pickRealDir: z.tuple([]),
  /** Host file or folder dialog for a kernel option (Electron); browser mode types the path instead. */
  pickKernelPath: z.tuple([z.enum(['kernel', 'modules', 'qemu'])]),
  /** Whether the kernel backend can run this spec here (Qemu, tools, the guest mapping), and with what. */
  checkKernel: z.tuple([z.strictObject({ spec: SpecJson, options: KernelOptionsSchema })]),
  setPacing: z.tuple([RunId, PacingSchema]),
  pause: z.tuple([RunId]),
  resume: z.tuple([RunId]),
  stop: z.tuple([RunId]),
  characterizeDisk: z.tuple([SpecJson]),
  listDiskPresets: z.tuple([]),
  loadSpec: z.tuple([]),
  saveSpec: z.tuple([SpecJson, z.string().max(200)]),
  saveResult: z.tuple([z.unknown(), z.string().max(200)]),
  loadResult: z.tuple([]),
  getLastSpec: z.tuple([]),
  setLastSpec: z.tuple([SpecJson]),
  exportBundle: z.tuple([
    z.strictObject({
      spec: SpecJson,
      result: z.unknown(),
      /** A real-disk result of the same spec, bundled beside `result` (the simulator's) as results-real.json. */
      real: z.unknown().optional(),
      /** A kernel result of the same spec, as results-kernel.json; `result` is then its comparison simulation. */
      kernel: z.unknown().optional(),
      charts: z.record(ChartName, Base64).optional(),
    }),
  ]),
  /** Scans a trace file on the Node side (docs/traces.md): count, duration, mix, sizes, LBA range, pids. */
  previewTrace: z.tuple([
    z.strictObject({
      file: z.string().min(1).max(4096),
      format: z.enum(TRACE_FORMATS),
      events: z.enum(['Q', 'D']).optional(),
    }),
  ]),
  /** `pvblk validate` from the UI: a validation trace replayed closed-loop on a disk preset. */
  validateTrace: z.tuple([
    z.strictObject({
      file: z.string().min(1).max(4096),
      format: z.enum(TRACE_FORMATS),
      disk: z.string().min(1).max(200),
    }),
  ]),
  /** With `{ base64 }`: the bundle's bytes (browser upload); without: the host's open dialog. */
  importBundle: z.union([
    z.tuple([z.strictObject({ base64: Base64, name: z.string().max(200).optional() })]),
    z.tuple([]),
    /** Open the bundle held by an earlier import that asked to confirm (`ImportConfirm.id`) anyway. */
    z.tuple([z.strictObject({ confirm: z.string().min(1).max(64) })]),
  ]),
  /** Re-runs an imported spec and compares with its stored (simulated) result: an import is not verified until they agree. */
  verifyImport: z.tuple([
    z.strictObject({
      spec: SpecJson,
      result: z.unknown(),
      /** The kernel result `result` is the comparison simulation of: re-simulated with its runs' overhead. */
      kernel: z.unknown().optional(),
    }),
  ]),
  /** One run of an imported sweep, in full (its time series and trace): the import sent summaries only. */
  bundleRun: z.tuple([z.string().min(1).max(64), z.number().int().min(0).max(1_000_000)]),
  /** Every scheduler event of a window of a finished simulated run (its stored trace may be thinned). */
  activityWindow: z.tuple([
    z.strictObject({
      spec: SpecJson,
      /** The run's matrix parameters (which run of the spec). */
      params: z.record(z.string().max(200), z.union([z.string().max(1000), z.number(), z.boolean()])),
      fromS: z.number().finite().min(0),
      toS: z.number().finite().min(0),
      /** The engine that made the result: a re-simulation by another engine is refused. */
      engineVersion: z.string().max(100).optional(),
    }),
  ]),
} as const;

export type ApiMethod = keyof typeof API_ARGS;
export const API_METHODS = Object.keys(API_ARGS) as ApiMethod[];
export const ApiMethodSchema = z.enum(API_METHODS as [ApiMethod, ...ApiMethod[]]);

export type RunEvent =
  | { type: 'layout'; runIndex: number; runs: number; params: Record<string, ParamValue>; layout: RunLayout }
  | {
      type: 'samples';
      runIndex: number;
      samples: Sample[];
      dispatch: DispatchPoint[];
      activity: ActivityEvent[];
      simTimeS: number;
      /** Progress of the whole experiment, 0..1. */
      progress: number;
    }
  | {
      type: 'run-done';
      runIndex: number;
      result: RunResult;
      /** Kernel backend: the run's comparison simulation (the spec with the guest's measured overhead). */
      sim?: RunResult;
    }
  /**
   * Kernel backend: where the run is (KernelStage: kernel-package, initramfs, boot, init … collect,
   * simulate), said for the user (`message`), with the progress line `pvblk kernel` prints, if any (`log`).
   */
  | { type: 'stage'; runIndex: number; stage: string; message: string; progress: number; log?: string }
  | { type: 'state'; state: 'running' | 'paused' }
  /**
   * The experiment finished. Each run's result was sent once, by its run-done event: the session
   * sends `result` with `runs: []` (name, seed, engine version, backend…), and the receiver puts
   * the run-done results back in run order. A multi-megabyte result is not parsed twice at the end.
   */
  | { type: 'done'; result: ExperimentResult }
  /**
   * The user stopped the experiment. `result` (absent when the run could not be asked for it) is
   * sent like 'done''s, `runs: []`: the runs finished before the stop and the stopped run came in
   * run-done events, the stopped run marked `partial`; the result is marked `partial` too.
   */
  | { type: 'stopped'; result?: ExperimentResult }
  | {
      type: 'error';
      message: string /** A RealRefusal: the user can act on it (shown inline). */;
      refusal?: boolean;
    };

export interface EventEnvelope {
  runId: string;
  event: RunEvent;
}

const obj = z.record(z.string(), z.unknown());
/** Shallow check of a result file before the renderer uses it. */
export const SavedResultSchema = z
  .object({
    name: z.string(),
    runs: z
      .array(
        z
          .object({
            params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
            summary: z
              .object({
                total: z.object({ mbps: z.number() }).loose(),
                vms: z.array(z.object({ name: z.string(), mbps: z.number() }).loose()),
              })
              .loose(),
          })
          .loose(),
      )
      .min(1),
  })
  .loose();

/**
 * An array of plain objects, checked in one loop: a live batch at max speed holds thousands of
 * samples, dispatch points and scheduler events, and `z.array(obj)` parsed every key of each into
 * a copy nobody used (over a third of a second of the renderer's main thread for one run of
 * paper-fairness, the UI's longest frames).
 */
const objects = z.custom<Record<string, unknown>[]>(
  (v) => Array.isArray(v) && v.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x)),
  'expected an array of objects',
);

/** Shallow check of events arriving in the renderer: the envelope and each variant's fields. */
export const EventEnvelopeSchema = z.object({
  runId: RunId,
  event: z.discriminatedUnion('type', [
    z.object({
      type: z.literal('layout'),
      runIndex: z.number().int(),
      runs: z.number().int(),
      params: obj,
      layout: obj,
    }),
    z.object({
      type: z.literal('samples'),
      runIndex: z.number().int(),
      samples: objects,
      dispatch: objects,
      activity: objects,
      simTimeS: z.number(),
      progress: z.number(),
    }),
    z.object({ type: z.literal('run-done'), runIndex: z.number().int(), result: obj, sim: obj.optional() }),
    z.object({
      type: z.literal('stage'),
      runIndex: z.number().int(),
      stage: z.string(),
      message: z.string(),
      progress: z.number(),
      log: z.string().optional(),
    }),
    z.object({ type: z.literal('state'), state: z.enum(['running', 'paused']) }),
    z.object({ type: z.literal('done'), result: obj }),
    z.object({ type: z.literal('stopped'), result: obj.optional() }),
    z.object({ type: z.literal('error'), message: z.string(), refusal: z.boolean().optional() }),
  ]),
});

/** What exportBundle returns: the zip (browser mode, for a download) or whether the host saved it. */
export type ExportBundleReply = { base64: string; fileName: string } | { saved: boolean; path?: string };

/** An imported bundle: its validated spec, its result and its chart PNGs (base64, by file name). */
export interface ImportedBundle {
  name: string;
  spec: unknown;
  /** results.json: the simulator's result, or a real-disk one (`backend: "real"`) in a real-only bundle. */
  result: ExperimentResult;
  /** results-real.json (format version 2): the real-disk result of the same spec, beside the simulator's. */
  real?: ExperimentResult;
  /** results-kernel.json (format version 4): the kernel result of the same spec; `result` is its comparison simulation. */
  kernel?: ExperimentResult;
  charts: Record<string, string>;
  engineVersion: string;
  created: string;
  /** Always false: the numbers are as the file says (only their shape is checked) until verifyImport agrees. */
  verified: false;
  /**
   * A sweep (docs/sweeps.md: many runs, or two or more varying parameters): `result`'s runs carry
   * their params, layout and summary only (empty time series and trace); `bundleRun(id, i)` fetches
   * run i in full when it is opened.
   */
  sweep?: { id: string };
}

/**
 * activityWindow's answer: the window's scheduler events at full resolution (the run simulated
 * again up to the window; at most `max` events, `complete` false when there were more).
 */
export interface ActivityWindowReply {
  fromS: number;
  toS: number;
  events: ActivityEvent[];
  complete: boolean;
  max: number;
}

/**
 * importBundle's answer for a bundle whose experiment is over the cost limits: nothing is opened
 * yet; the Node side holds the bytes, and `importBundle({ confirm: id })` opens them anyway.
 */
export interface ImportConfirm {
  confirm: { id: string; name: string; summary: string; over: string[] };
}

/** Options of a real-disk run (see docs/real-disk.md). */
export interface RealRunOptions {
  dir: string;
  /** Cap per image file, GiB. */
  sizeGb: number;
}

/** checkRealDir's answer: the folder's real path and its device, or why it is refused. */
export type RealDirCheck =
  | { ok: true; dir: string; device: string | null; scheduler: string | null; rotational: boolean | null }
  | { ok: false; error: string };

/** The kernel options that are paths (pickKernelPath). */
export type KernelPathKind = 'kernel' | 'modules' | 'qemu';

/** Options of a kernel run (see docs/kernel.md): guest CPUs, another kernel, another Qemu. */
export type KernelRunOptions = z.infer<typeof KernelOptionsSchema>;

/**
 * checkKernel's answer: what a run would use, or why it cannot run here (`spec`: the spec cannot be
 * expressed in the guest; otherwise the machine lacks something, named with its apt packages).
 */
export type KernelCheck =
  | {
      ok: true;
      /** Qemu's version line. */
      qemu: string;
      /** KVM, TCG, or "KVM or TCG" (a KVM guest is tried at the first run). */
      accel: string;
      /** The kernel release a run would boot. */
      kernel: string;
      /** Where each comes from, one line each (for a tooltip). */
      detail: string[];
      runs: number;
      /** What the guest changes or approximates to express the spec (guest-plan.ts). */
      notes: string[];
    }
  | { ok: false; error: string; spec: boolean };

/** previewTrace's answer: the scan, or why the file cannot be read (file, line and field). */
export type TracePreviewReply = { ok: true; preview: TracePreview } | { ok: false; error: string };
/** validateTrace's answer. */
export type TraceValidationReply = { ok: true; report: ValidationReport } | { ok: false; error: string };
export type { TracePreview, ValidationReport } from './trace';

/** What the renderer calls. Both transports implement it. */
export interface PvblkApi {
  /** 'electron' or 'browser' — for labels only; behaviour must not depend on it. */
  readonly transport: 'electron' | 'browser';
  listPresets(): Promise<PresetInfo[]>;
  getPreset(name: string): Promise<unknown>;
  validateSpec(spec: unknown): Promise<ValidationResult>;
  startRun(req: {
    spec: unknown;
    pacing: Pacing;
    real?: RealRunOptions;
    kernel?: KernelRunOptions;
    allowLarge?: boolean;
  }): Promise<string>;
  /** Checks a folder for the real-disk backend. */
  checkRealDir(dir: string): Promise<RealDirCheck>;
  /** Picks a folder (Electron dialog); null when cancelled; throws in browser mode (type the path). */
  pickRealDir(): Promise<string | null>;
  /** Picks a kernel option's path (Electron dialog: a bzImage, a modules folder, a Qemu binary); null when cancelled; throws in browser mode. */
  pickKernelPath(kind: KernelPathKind): Promise<string | null>;
  /** Checks whether the kernel backend can run `spec` here, and with what. */
  checkKernel(req: { spec: unknown; options: KernelRunOptions }): Promise<KernelCheck>;
  setPacing(runId: string, pacing: Pacing): Promise<void>;
  pause(runId: string): Promise<void>;
  resume(runId: string): Promise<void>;
  stop(runId: string): Promise<void>;
  characterizeDisk(spec: unknown): Promise<DiskCharacterization>;
  listDiskPresets(): Promise<DiskPresetInfo[]>;
  /** Opens a spec file (Electron: file dialog; browser: file picker). Null when cancelled. */
  loadSpec(): Promise<{ name: string; spec: unknown } | null>;
  /** Saves a spec (Electron: save dialog; browser: download). False when cancelled. */
  saveSpec(spec: unknown, suggestedName: string): Promise<boolean>;
  /** Saves an experiment's result JSON (dialog / download). */
  saveResult(result: unknown, suggestedName: string): Promise<boolean>;
  /** Opens a saved result JSON (from the lab or `pvblk run --json`); null when cancelled. */
  loadResult(): Promise<{ name: string; result: unknown } | null>;
  getLastSpec(): Promise<unknown>;
  setLastSpec(spec: unknown): Promise<void>;
  /**
   * Exports an experiment bundle (`*.pvblk.zip`) of `spec` and its result, with chart PNGs
   * (base64); with `real`, a real-disk result of the same spec goes beside the simulated `result`.
   * Electron: save dialog; browser: a download. False when cancelled.
   */
  exportBundle(req: {
    spec: unknown;
    result: unknown;
    real?: unknown;
    kernel?: unknown;
    charts?: Record<string, string>;
  }): Promise<boolean>;
  /**
   * Opens a bundle (Electron: open dialog; browser: file picker). Null when cancelled; throws the
   * BundleError message. A bundle over the cost limits answers ImportConfirm: with
   * `{ confirm: id }` the held bundle is opened anyway (no dialog).
   */
  importBundle(confirmed?: { confirm: string }): Promise<ImportedBundle | ImportConfirm | null>;
  /** Re-runs an imported spec in the simulator and compares with its stored result. */
  verifyImport(req: { spec: unknown; result: unknown; kernel?: unknown }): Promise<VerifyReply>;
  /** Run `index` of the imported sweep `id` in full; throws when that sweep is no longer held. */
  bundleRun(id: string, index: number): Promise<RunResult>;
  /** The scheduler events of [fromS, toS] of a simulated run, every one (re-simulated; bounded by the window). */
  activityWindow(req: {
    spec: unknown;
    params: Record<string, ParamValue>;
    fromS: number;
    toS: number;
    engineVersion?: string;
  }): Promise<ActivityWindowReply>;
  previewTrace(req: { file: string; format: string; events?: 'Q' | 'D' }): Promise<TracePreviewReply>;
  validateTrace(req: { file: string; format: string; disk: string }): Promise<TraceValidationReply>;
  onEvent(listener: (e: EventEnvelope) => void): () => void;
}

/** The raw bridge the preload exposes as `window.pvblk` (the renderer wraps it into a PvblkApi). */
export interface PvblkBridge {
  call(method: ApiMethod, args: unknown[]): Promise<unknown>;
  onEvent(listener: (e: unknown) => void): () => void;
}

/** Wire format of an HTTP call's reply (and of the IPC handler's). */
export type CallReply = { ok: true; value: unknown } | { ok: false; error: string };

export type { ExperimentResult, RunResult };
