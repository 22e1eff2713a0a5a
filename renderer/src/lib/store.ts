/**
 * The lab's state: presets, the spec being edited (text + validation), and the live/finished run.
 * Large series live in plain (non-reactive) arrays; `tick` bumps once per streamed batch so charts
 * recompute at the batch rate rather than per sample.
 */

import type {
  ActivityWindowReply,
  DiskCharacterization,
  DiskPresetInfo,
  EventEnvelope,
  KernelCheck,
  KernelPathKind,
  KernelRunOptions,
  Pacing,
  ParamValue,
  PresetInfo,
  PvblkApi,
  RealDirCheck,
  RunEvent,
  ValidationError,
} from '@common/api';
import { SavedResultSchema } from '@common/api';
import {
  type ActivityEvent,
  type DispatchPoint,
  type ExperimentResult,
  type RunLayout,
  type RunResult,
  runMatrixIndices,
  type Sample,
} from '@common/result';
import { appendSample } from '@common/series';
import { withDuration } from '@common/spec/duration';
import { markRaw, reactive, shallowRef } from 'vue';

export const MAX_DISPATCH_POINTS = 10_000;
export const MAX_ACTIVITY_EVENTS = 100_000;
export interface RunView {
  index: number;
  params: Record<string, ParamValue>;
  layout: RunLayout;
  /** Bounded like the engine's series (common/series.ts): older points merged, the newest at full resolution. */
  samples: Sample[];
  dispatch: DispatchPoint[];
  /** Dispatch points received, and the decimation stride applied to them. */
  dispatchSeen: number;
  dispatchStride: number;
  activity: ActivityEvent[];
  /** Scheduler events the page dropped (oldest first) to stay under MAX_ACTIVITY_EVENTS. */
  activityDropped: number;
  simTimeS: number;
  result: RunResult | null;
}

/** A run of the matrix the backend could not do on this machine (result `not_run`), and why. */
export interface NotRunView {
  params: Record<string, ParamValue>;
  reason: string;
}

/** The not-run runs of a result (real disk: e.g. vpid-group without weighted cgroups), labelled like its run views. */
export function notRunViewsOf(
  saved: ExperimentResult | null | undefined,
  extraParams: Record<string, ParamValue> = {},
): NotRunView[] {
  return (saved?.not_run ?? []).map((n) => ({ params: { ...extraParams, ...n.params }, reason: n.reason }));
}

/** Run views of a stored result (a saved result file or a bundle), indexed from `first`. */
export function runViewsOf(
  saved: ExperimentResult,
  first: number,
  extraParams: Record<string, ParamValue> = {},
): RunView[] {
  let next = first;
  return saved.runs.map((run) => {
    const layout: RunLayout = run.layout ?? {
      vms: run.summary.vms.map((v) => ({
        name: v.name,
        mapping: v.mapping,
        weight: v.weight,
        image_start: 0,
        image_sectors: 0,
      })),
      threads: [],
      contexts: [],
      disk_sectors: 1,
      sample_interval_ms: 250,
      duration_s: run.summary.measured_s ?? 0,
      warmup_s: 0,
    };
    const samples = run.timeseries?.samples ?? [];
    const dispatch = run.trace?.dispatch ?? [];
    // Decimate like the live stream does past the cap, so the seek chart covers the whole run.
    let stride = 1;
    while (dispatch.length / stride > MAX_DISPATCH_POINTS) stride *= 2;
    return markRaw<RunView>({
      index: next++,
      params: { ...extraParams, ...run.params },
      layout,
      samples,
      dispatch: stride === 1 ? dispatch.slice() : dispatch.filter((_, k) => k % stride === 0),
      dispatchSeen: dispatch.length,
      dispatchStride: stride,
      activity: (run.trace?.activity ?? []).slice(-MAX_ACTIVITY_EVENTS),
      activityDropped: Math.max(0, (run.trace?.activity.length ?? 0) - MAX_ACTIVITY_EVENTS),
      simTimeS:
        run.partial?.simulated_s ?? (samples.length ? samples[samples.length - 1].t : layout.duration_s),
      result: run,
    });
  });
}

/**
 * Which backend runs an experiment: the simulator, real files on a local disk, or a real Linux
 * kernel in QEMU whose disk is the lab's model (main/node/kernel).
 */
export type Backend = 'sim' | 'real' | 'kernel';
/** The backends that measure rather than simulate: their results compare with a simulation. */
export type MeasuredBackend = 'real' | 'kernel';

/** The real-disk block of a run result (runs[i].real), as far as the UI shows it. */
export interface RealRunInfo {
  device: string | null;
  partition: string | null;
  scheduler: string | null;
  rotational: boolean | null;
  dir: string;
  flags: string[];
  /** Where the files are on the device (absent in results of older versions). */
  placement?: {
    physical: boolean;
    files: { name: string; bytes: number; first: number; end: number; extents: number }[];
  };
  /** vpid-group: the cgroup hierarchy and each VM's group with its weights as read back. */
  cgroup_hierarchy?: string | null;
  cgroup_groups?: { vm: string; path: string; weights: Record<string, string> }[];
}

export function realInfoOf(r: RunResult | null | undefined): RealRunInfo | null {
  const x = (r as { real?: RealRunInfo } | null | undefined)?.real;
  return x && typeof x === 'object' && Array.isArray(x.flags) ? x : null;
}

/** Is this a real-disk result (`backend: "real"`, main/node/real)? */
export function isRealResult(r: ExperimentResult | null | undefined): boolean {
  return (r as { backend?: unknown } | null | undefined)?.backend === 'real';
}

/** The kernel block of a run result (runs[i].kernel, main/node/kernel/run.ts), as far as the UI shows it. */
export interface KernelRunInfo {
  kernel: string;
  kernel_source?: string;
  accel: string;
  accel_reason?: string;
  vcpus: number;
  sysfs: Record<string, string>;
  calibration?: { requests: number; mean_ms: number; median_ms: number; p90_ms: number; service_ms: number };
  sim_overhead_us: number;
  /** The dispatch gap simulated after the scheduler (absent in older results). */
  sim_dispatch_latency_us?: number;
  calibration_queued?: { requests: number; mean_ms: number; median_ms: number; p90_ms: number } | null;
  disk?: { busy_s?: number; requests?: number; late_p50_ms?: number };
  flags: string[];
  notes: string[];
  boot_s?: number;
}

export function kernelInfoOf(r: RunResult | null | undefined): KernelRunInfo | null {
  const x = (r as { kernel?: KernelRunInfo } | null | undefined)?.kernel;
  return x && typeof x === 'object' && Array.isArray(x.flags) ? x : null;
}

/** Is this a kernel result (`backend: "kernel"`, main/node/kernel)? */
export function isKernelResult(r: ExperimentResult | null | undefined): boolean {
  return (r as { backend?: unknown } | null | undefined)?.backend === 'kernel';
}

/** Is this a measured result (real disk or kernel), not a simulation? */
export function isMeasuredResult(r: ExperimentResult | null | undefined): boolean {
  return isRealResult(r) || isKernelResult(r);
}

/** How many console or progress lines of a kernel run the UI keeps. */
export const KERNEL_LOG_LINES = 40;

/** What an export bundles: the simulator's result, with a real-disk or a kernel result of the same spec. */
export interface BundledResults {
  result: ExperimentResult;
  real?: ExperimentResult;
  kernel?: ExperimentResult;
}

export type Status = 'idle' | 'starting' | 'running' | 'paused' | 'done' | 'stopped' | 'error';

export function createStore(api: PvblkApi) {
  const state = reactive({
    presets: [] as PresetInfo[],
    diskPresets: [] as DiskPresetInfo[],
    presetName: '',
    specText: '',
    parseError: null as string | null,
    errors: [] as ValidationError[],
    validating: false,
    runsInSpec: 0,
    /** The valid spec's estimated cost (one line) and the limits it is over; running then asks first. */
    costSummary: '',
    costOver: [] as string[],
    status: 'idle' as Status,
    runId: null as string | null,
    pacing: 'max' as Pacing,
    progress: 0,
    simTimeS: 0,
    totalRuns: 0,
    currentRun: -1,
    message: null as string | null,
    tick: 0,
    sampleCount: 0,
    /** The spec text last loaded (preset, file) or saved; edits since then are "unsaved". */
    baseline: '',
    undoDepth: 0,
    /**
     * The bundle shown (imported, not re-run), or null for a live or no run; `backends`: the results
     * it holds (simulated, real-disk or both of the same spec).
     */
    imported: null as {
      name: string;
      engineVersion: string;
      created: string;
      backends: 'sim' | 'real' | 'sim+real' | 'sim+kernel';
      /** The numbers are as the file says until a replay agrees (verifyImport). */
      verify: 'not verified' | 'verifying' | 'verified' | 'differs' | 'cannot verify';
      verifyDetail: string;
      /** A sweep imported as summaries (docs/sweeps.md): runs load their detail when opened (openSweepRun). */
      sweepId?: string;
    } | null,
    /** Export/import problem (a BundleError message), shown inline next to the bundle buttons. */
    bundleError: null as string | null,
    bundleBusy: false,
    /** The backend the next run uses, and the real-disk options. */
    backend: 'sim' as Backend,
    realDir: '',
    realSizeGb: 1,
    realDirCheck: null as RealDirCheck | null,
    /**
     * A refusal of the measured backend (real disk: bad folder, no O_DIRECT, no space…; kernel: no
     * QEMU, a guest that did not boot, with its last console lines…), shown inline.
     */
    backendError: null as string | null,
    /** The kernel backend's options (pvblk kernel's --vcpus, --duration, --kernel, --modules, --qemu). */
    kernelVcpus: 2,
    /** Run the kernel backend for this long instead of the spec's duration_s (null: the spec's). */
    kernelDurationS: null as number | null,
    kernelPath: '',
    kernelModules: '',
    kernelQemu: '',
    /** Whether the kernel backend can run the spec here (checkKernel), or why not. */
    kernelCheck: null as KernelCheck | null,
    /** Where a kernel run is (its run, stage and what the stage does), and its progress lines so far (pvblk kernel's). */
    kernelStage: null as { runIndex: number; stage: string; message: string } | null,
    kernelLog: [] as string[],
    /** The backend of the experiment shown. */
    runBackend: 'sim' as Backend,
    /**
     * Which measured backend's last result and its simulation are of the spec being edited (the
     * one chosen first, else real, else kernel): "Compare sim vs …" shows them; null: none.
     */
    compareBackend: null as MeasuredBackend | null,
    canCompareBackends: false,
  });
  /**
   * The last finished result of each backend, with the spec it ran (canonical JSON); a kernel
   * result carries its comparison simulation (`sim`: the spec with the guest's measured overhead).
   */
  const lastByBackend: Partial<
    Record<Backend, { key: string; result: ExperimentResult; sim?: ExperimentResult }>
  > = {};
  /** The comparison simulation of the kernel run under way, by run index. */
  let kernelSims: RunResult[] = [];
  /** Runs of the other backend's last result of the same spec, overlaid on the throughput chart. */
  const counterpart = shallowRef<RunView[]>([]);
  /** Runs of the experiment shown that were not run here (real disk), with the reason: rows, not gaps. */
  const notRun = shallowRef<NotRunView[]>([]);
  const specKey = (spec: unknown): string => JSON.stringify(spec);
  /** A kernel result's key: the spec as edited and the duration the kernel backend ran it for. */
  const kernelKey = (spec: unknown): string => `${specKey(spec)}|${state.kernelDurationS ?? ''}`;
  /** The measured backends whose last result (and its simulation) are of the spec being edited. */
  function comparable(): MeasuredBackend[] {
    let spec: unknown;
    try {
      spec = parsedSpec();
    } catch {
      return [];
    }
    const key = specKey(spec);
    const out: MeasuredBackend[] = [];
    if (lastByBackend.sim?.key === key && lastByBackend.real?.key === key) out.push('real');
    if (lastByBackend.kernel?.key === kernelKey(spec) && lastByBackend.kernel.sim) out.push('kernel');
    return out;
  }
  function refreshCanCompare(): void {
    const list = comparable();
    const chosen = state.backend === 'sim' ? null : state.backend;
    state.compareBackend = chosen && list.includes(chosen) ? chosen : (list[0] ?? null);
    state.canCompareBackends = state.compareBackend !== null;
  }
  /** The spec the current experiment ran (or the imported bundle's): what an export bundles. */
  let experimentSpec: unknown = null;
  /** Chart PNGs of an imported bundle (base64, by file name). */
  const bundleCharts = shallowRef<Record<string, string>>({});
  const history: string[] = [];
  let lastPush = 0;
  /** Runs of the current experiment (raw; charts read them when `tick` changes). */
  const runs = shallowRef<RunView[]>([]);
  const experiment = shallowRef<ExperimentResult | null>(null);
  /** Characterization of the spec's disk (for the disk panel); refreshed when `disk` changes. */
  const disk = shallowRef<DiskCharacterization | null>(null);
  let diskKey = '';
  const buffered = new Map<string, RunEvent[]>();
  /** Charts recompute when `tick` changes: at most every TICK_MS, however fast batches arrive. */
  const TICK_MS = 200;
  let lastTick = 0;
  let tickTimer: ReturnType<typeof setTimeout> | null = null;
  function bump(now = false): void {
    const wait = TICK_MS - (performance.now() - lastTick);
    if (now || wait <= 0) {
      if (tickTimer) clearTimeout(tickTimer);
      tickTimer = null;
      lastTick = performance.now();
      state.tick++;
    } else if (!tickTimer) {
      tickTimer = setTimeout(() => {
        tickTimer = null;
        bump(true);
      }, wait);
    }
  }
  let validateSeq = 0;
  let validateTimer: ReturnType<typeof setTimeout> | null = null;

  const valid = () =>
    state.parseError === null && state.errors.length === 0 && !state.validating && state.specText !== '';

  function parsedSpec(): unknown {
    return JSON.parse(state.specText) as unknown;
  }

  async function validateNow(): Promise<void> {
    const seq = ++validateSeq;
    let spec: unknown;
    try {
      spec = parsedSpec();
      state.parseError = null;
    } catch (err) {
      state.parseError = (err as Error).message;
      state.errors = [];
      state.validating = false;
      return;
    }
    state.validating = true;
    // The disk panel follows the spec's disk even while the rest of the spec is invalid (say, a
    // smaller disk the images no longer fit on).
    void refreshDisk(spec);
    try {
      const r = await api.validateSpec(spec);
      if (seq !== validateSeq) return;
      state.errors = r.ok ? [] : r.errors;
      state.runsInSpec = r.ok ? r.runs : 0;
      state.costSummary = r.ok ? (r.cost?.summary ?? '') : '';
      state.costOver = r.ok ? (r.cost?.over ?? []) : [];
      if (r.ok) void api.setLastSpec(spec).catch(() => {});
    } catch (err) {
      if (seq !== validateSeq) return;
      state.errors = [{ path: '(spec)', message: `validation failed: ${(err as Error).message}` }];
    } finally {
      if (seq === validateSeq) state.validating = false;
    }
  }

  async function refreshDisk(spec: unknown): Promise<void> {
    if (spec === null || typeof spec !== 'object') return;
    const key = JSON.stringify((spec as { disk?: unknown }).disk ?? null);
    if (key === diskKey) return;
    diskKey = key;
    try {
      const d = await api.characterizeDisk(spec);
      if (key === diskKey) disk.value = markRaw(d);
    } catch {
      if (key === diskKey) disk.value = null;
    }
  }

  /** A user edit: remembered for undo (edits within 1 s coalesce). */
  function editSpecText(text: string): void {
    const now = Date.now();
    if (now - lastPush > 1000 || history.length === 0) {
      history.push(state.specText);
      if (history.length > 100) history.shift();
    }
    lastPush = now;
    state.undoDepth = history.length;
    setSpecText(text);
  }

  function undo(): void {
    const prev = history.pop();
    state.undoDepth = history.length;
    lastPush = 0;
    if (prev !== undefined) setSpecText(prev, true);
  }

  const dirty = () => state.specText !== state.baseline;

  /** Replaces the edited spec (preset, file): a fresh document, with its own undo history. */
  function replaceSpec(text: string): void {
    history.length = 0;
    state.undoDepth = 0;
    state.baseline = text;
    setSpecText(text, true);
  }

  function confirmDiscard(): boolean {
    return !dirty() || window.confirm('The spec has unsaved changes. Discard them?');
  }

  function setSpecText(text: string, immediate = false): void {
    state.specText = text;
    refreshCanCompare();
    state.validating = true;
    if (validateTimer) clearTimeout(validateTimer);
    validateTimer = setTimeout(() => void validateNow(), immediate ? 0 : 250);
  }

  let loadSeq = 0;
  async function loadPreset(name: string): Promise<void> {
    if (!confirmDiscard()) return;
    const seq = ++loadSeq;
    try {
      const spec = await api.getPreset(name);
      if (seq !== loadSeq) return; // a later load won
      state.presetName = name;
      replaceSpec(JSON.stringify(spec, null, 2));
    } catch (err) {
      state.message = `Could not load preset ${name}: ${(err as Error).message}`;
    }
  }

  async function init(): Promise<void> {
    try {
      state.presets = await api.listPresets();
    } catch (err) {
      state.message = `Could not list presets: ${(err as Error).message}`;
      return;
    }
    void api
      .listDiskPresets()
      .then((d) => {
        state.diskPresets = d;
      })
      .catch(() => {});
    const seq = loadSeq;
    const last = await api.getLastSpec().catch(() => null);
    if (seq !== loadSeq) return; // the user already picked something
    if (last && typeof last === 'object') {
      const name = (last as { name?: unknown }).name;
      const match = state.presets.find((p) => p.name === name);
      state.presetName = match ? match.name : '';
      state.baseline = JSON.stringify(last, null, 2);
      setSpecText(state.baseline, true);
    } else if (state.presets.length > 0) {
      await loadPreset(state.presets[0].name);
    }
  }

  /** The finished (or stopped) experiment's result; the session sent its runs in run-done events. */
  function keepResult(header: ExperimentResult): void {
    const streamed = runs.value.flatMap((v) => (v.result ? [v.result] : []));
    experiment.value = markRaw({ ...header, runs: header.runs.length ? header.runs : streamed });
    notRun.value = notRunViewsOf(header);
    if (state.runBackend === 'kernel' && kernelRunSpec !== null) {
      // Kept only when every run finished: its simulation is then whole.
      if (!header.partial && kernelSims.length === experiment.value.runs.length)
        lastByBackend.kernel = {
          key: kernelRunSpec,
          result: experiment.value,
          sim: markRaw({
            name: header.name,
            seed: header.seed,
            engine_version: header.engine_version,
            runs: kernelSims,
          }),
        };
    } else if (experimentSpec !== null)
      lastByBackend[state.runBackend] = { key: specKey(experimentSpec), result: experiment.value };
    refreshCanCompare();
  }

  function handle(e: RunEvent): void {
    switch (e.type) {
      case 'layout': {
        const view: RunView = markRaw({
          index: e.runIndex,
          params: e.params,
          layout: e.layout,
          samples: [],
          dispatch: [],
          dispatchSeen: 0,
          dispatchStride: 1,
          activity: [],
          activityDropped: 0,
          simTimeS: 0,
          result: null,
        });
        runs.value = [...runs.value.filter((r) => r.index !== e.runIndex), view].sort(
          (a, b) => a.index - b.index,
        );
        state.totalRuns = e.runs;
        state.currentRun = e.runIndex;
        state.simTimeS = 0;
        break;
      }
      case 'samples': {
        const v = runs.value.find((r) => r.index === e.runIndex);
        if (!v) return;
        // Bounded like the engine's series: older points merge, the newest stay at full resolution.
        const weights = v.layout.vms.map((vm) => vm.weight);
        for (const smp of e.samples) appendSample(v.samples, smp, weights);
        // Keep the seek chart bounded over the whole run: past the cap, halve the points and
        // keep every 2nd, 4th, … new point (uniform decimation instead of a cut-off).
        for (const d of e.dispatch) {
          if (v.dispatchSeen++ % v.dispatchStride === 0) v.dispatch.push(d);
        }
        if (v.dispatch.length > MAX_DISPATCH_POINTS) {
          v.dispatch = v.dispatch.filter((_, k) => k % 2 === 0);
          v.dispatchStride *= 2;
        }
        v.activity.push(...e.activity);
        // Scheduler activity is for zoomed windows: keep the most recent events only.
        if (v.activity.length > MAX_ACTIVITY_EVENTS) {
          v.activityDropped += v.activity.length - MAX_ACTIVITY_EVENTS;
          v.activity.splice(0, v.activity.length - MAX_ACTIVITY_EVENTS);
        }
        v.simTimeS = e.simTimeS;
        state.simTimeS = e.simTimeS;
        state.progress = e.progress;
        state.sampleCount += e.samples.length;
        bump();
        break;
      }
      case 'run-done': {
        const v = runs.value.find((r) => r.index === e.runIndex);
        if (v) v.result = e.result;
        // A run that streamed nothing (the kernel backend: its series come with the result) shows its result's.
        const whole =
          v && v.samples.length === 0 && (e.result.timeseries?.samples.length ?? 0) > 0
            ? runViewsOf({ name: '', seed: 0, engine_version: '', runs: [e.result] }, v.index)[0]
            : null;
        if (whole) {
          whole.params = v?.params ?? whole.params;
          state.simTimeS = whole.simTimeS;
          state.sampleCount += whole.samples.length;
        }
        runs.value = runs.value.map((r) => (whole && r.index === whole.index ? whole : r));
        if (e.sim) {
          // A kernel run's comparison simulation: overlaid on its throughput chart.
          kernelSims[e.runIndex] = e.sim;
          const header = { name: '', seed: 0, engine_version: '', runs: [e.sim] };
          counterpart.value = [
            ...counterpart.value.filter((r) => r.index !== e.runIndex),
            ...runViewsOf(header, e.runIndex, { source: 'sim' }),
          ];
        }
        bump();
        break;
      }
      case 'stage':
        state.kernelStage = { runIndex: e.runIndex, stage: e.stage, message: e.message };
        if (e.log) state.kernelLog = [...state.kernelLog, e.log].slice(-KERNEL_LOG_LINES);
        state.currentRun = e.runIndex;
        state.progress = Math.max(state.progress, e.progress);
        break;
      case 'state':
        if (state.status === 'running' || state.status === 'paused') state.status = e.state;
        break;
      case 'done': {
        keepResult(e.result);
        state.status = 'done';
        state.progress = 1;
        bump(true);
        break;
      }
      case 'stopped':
        // A stopped simulation sends what it has, marked partial: it can be saved and exported.
        if (e.result) keepResult(e.result);
        state.status = 'stopped';
        bump(true);
        break;
      case 'error':
        state.status = 'error';
        if (e.refusal) state.backendError = e.message;
        else state.message = e.message;
        break;
    }
  }

  api.onEvent((env: EventEnvelope) => {
    if (state.runId === null && state.status === 'starting') {
      const list = buffered.get(env.runId) ?? [];
      list.push(env.event);
      buffered.set(env.runId, list);
      return;
    }
    if (env.runId === state.runId) handle(env.event);
  });

  async function run(): Promise<void> {
    if (!valid() || state.status === 'running' || state.status === 'paused' || state.status === 'starting')
      return;
    // Over the work or memory limits: the user decides (the API refuses without allowLarge).
    const allowLarge = state.backend === 'sim' && state.costOver.length > 0;
    if (
      allowLarge &&
      !window.confirm(
        `This experiment is large: ${state.costOver.join('; ')}.\nEstimate: ${state.costSummary}.\nRun it anyway?`,
      )
    )
      return;
    runs.value = [];
    notRun.value = [];
    experiment.value = null;
    experimentSpec = null;
    state.imported = null;
    importedKernel = null;
    state.bundleError = null;
    bundleCharts.value = {};
    state.message = null;
    state.progress = 0;
    state.simTimeS = 0;
    state.sampleCount = 0;
    state.currentRun = -1;
    state.totalRuns = state.runsInSpec;
    state.backendError = null;
    state.kernelStage = null;
    state.kernelLog = [];
    kernelSims = [];
    kernelRunSpec = null;
    const backend = state.backend;
    if (backend === 'real' || backend === 'kernel') {
      const check = backend === 'real' ? await checkRealDir() : await checkKernel();
      if (!check?.ok) {
        state.status = 'idle';
        return;
      }
    }
    state.runBackend = backend;
    state.status = 'starting';
    state.runId = null;
    buffered.clear();
    try {
      const edited = parsedSpec();
      // The kernel backend may run the spec for a shorter time (its duration field).
      const spec = backend === 'kernel' ? kernelSpec(edited) : edited;
      if (backend === 'kernel') {
        counterpart.value = []; // each run's comparison simulation arrives with it
        kernelRunSpec = kernelKey(edited);
      } else {
        const other = lastByBackend[backend === 'real' ? 'sim' : 'real'];
        counterpart.value =
          other && other.key === specKey(spec)
            ? runViewsOf(other.result, 0, { source: backend === 'real' ? 'sim' : 'real' })
            : [];
      }
      const id = await api.startRun(
        backend === 'real'
          ? { spec, pacing: state.pacing, real: { dir: state.realDir, sizeGb: state.realSizeGb } }
          : backend === 'kernel'
            ? { spec, pacing: state.pacing, kernel: kernelOptions() }
            : { spec, pacing: state.pacing, ...(allowLarge ? { allowLarge } : {}) },
      );
      experimentSpec = spec;
      state.runId = id;
      state.status = 'running';
      for (const e of buffered.get(id) ?? []) handle(e);
      buffered.clear();
    } catch (err) {
      state.status = 'error';
      if (backend !== 'sim') state.backendError = (err as Error).message;
      else state.message = (err as Error).message;
    }
  }

  /** The key of the kernel run under way (kernelKey of the spec as edited), or null. */
  let kernelRunSpec: string | null = null;

  /** The spec a kernel run uses: the edited one, for the kernel duration when one is set. */
  function kernelSpec(edited: unknown): unknown {
    const d = state.kernelDurationS;
    return d !== null && d > 0 ? withDuration(structuredClone(edited), d) : edited;
  }

  /** The kernel backend's options as the API takes them (empty fields left out). */
  function kernelOptions(): KernelRunOptions {
    const path = (s: string) => s.trim() || undefined;
    const o: KernelRunOptions = { vcpus: state.kernelVcpus };
    if (path(state.kernelPath)) o.kernel = path(state.kernelPath);
    if (path(state.kernelModules)) o.modules = path(state.kernelModules);
    if (path(state.kernelQemu)) o.qemu = path(state.kernelQemu);
    return o;
  }

  /** Picks a kernel option's path with the host's dialog (Electron). */
  async function pickKernelPath(kind: KernelPathKind): Promise<void> {
    try {
      const p = await api.pickKernelPath(kind);
      if (p === null) return;
      if (kind === 'kernel') state.kernelPath = p;
      else if (kind === 'modules') state.kernelModules = p;
      else state.kernelQemu = p;
    } catch (err) {
      state.backendError = (err as Error).message;
    }
  }

  let kernelCheckSeq = 0;
  /** Checks that the kernel backend can run the edited spec here (checkKernel); a refusal is shown inline. */
  async function checkKernel(): Promise<KernelCheck | null> {
    const seq = ++kernelCheckSeq;
    let spec: unknown;
    try {
      spec = kernelSpec(parsedSpec());
    } catch (err) {
      const r: KernelCheck = {
        ok: false,
        spec: true,
        error: `the spec is not JSON: ${(err as Error).message}`,
      };
      state.kernelCheck = r;
      return r;
    }
    try {
      const r = await api.checkKernel({ spec, options: kernelOptions() });
      if (seq === kernelCheckSeq) state.kernelCheck = r;
      return r;
    } catch (err) {
      const r: KernelCheck = { ok: false, spec: false, error: (err as Error).message };
      if (seq === kernelCheckSeq) state.kernelCheck = r;
      return r;
    }
  }

  let checkSeq = 0;
  /** Checks the real-disk folder through the API (checkDir); a refusal is shown inline. */
  async function checkRealDir(): Promise<RealDirCheck | null> {
    const seq = ++checkSeq;
    const dir = state.realDir.trim();
    if (!dir) {
      state.realDirCheck = { ok: false, error: 'choose a folder on the disk to test' };
      return state.realDirCheck;
    }
    try {
      const r = await api.checkRealDir(dir);
      if (seq === checkSeq) state.realDirCheck = r;
      return r;
    } catch (err) {
      const r: RealDirCheck = { ok: false, error: (err as Error).message };
      if (seq === checkSeq) state.realDirCheck = r;
      return r;
    }
  }

  async function pickRealDir(): Promise<void> {
    try {
      const d = await api.pickRealDir();
      if (d) {
        state.realDir = d;
        await checkRealDir();
      }
    } catch (err) {
      state.backendError = (err as Error).message;
    }
  }

  /**
   * Shows the last simulated and the last measured result (real disk, or kernel with its own
   * comparison simulation) of the spec being edited side by side in the compare view (runs
   * labelled source=sim / source=real or source=kernel).
   */
  function compareBackends(): void {
    refreshCanCompare();
    const which = state.compareBackend;
    const measured = which ? lastByBackend[which] : undefined;
    const sim = which === 'kernel' ? measured?.sim : lastByBackend.sim?.result;
    if (!which || !measured || !sim) return;
    if (state.status === 'running' || state.status === 'paused' || state.status === 'starting') return;
    const a = runViewsOf(sim, 0, { source: 'sim' });
    const b = runViewsOf(measured.result, a.length, { source: which });
    runs.value = [...a, ...b];
    notRun.value = notRunViewsOf(measured.result, { source: which });
    counterpart.value = [];
    state.totalRuns = runs.value.length;
    state.currentRun = b[0]?.index ?? 0;
    state.status = 'done';
    bump(true);
  }

  async function control(action: 'pause' | 'resume' | 'stop'): Promise<void> {
    const id = state.runId;
    if (!id) return;
    try {
      await api[action](id);
      if (action === 'pause' && state.status === 'running') state.status = 'paused';
      if (action === 'resume' && state.status === 'paused') state.status = 'running';
      // Stop: the 'stopped' event (a simulation's carries the partial result) sets the status.
    } catch (err) {
      state.message = (err as Error).message;
    }
  }

  async function setPacing(p: Pacing): Promise<void> {
    state.pacing = p;
    if (state.runId && (state.status === 'running' || state.status === 'paused')) {
      await api.setPacing(state.runId, p).catch(() => {});
    }
  }

  async function openSpec(): Promise<void> {
    try {
      if (!confirmDiscard()) return;
      const r = await api.loadSpec();
      if (!r) return;
      state.presetName = '';
      replaceSpec(JSON.stringify(r.spec, null, 2));
    } catch (err) {
      state.message = (err as Error).message;
    }
  }

  async function saveSpec(): Promise<void> {
    try {
      const spec = parsedSpec() as { name?: unknown };
      const text = state.specText;
      if (await api.saveSpec(spec, typeof spec.name === 'string' ? spec.name : 'experiment'))
        state.baseline = text;
    } catch (err) {
      state.message = (err as Error).message;
    }
  }

  async function saveResults(): Promise<void> {
    const r = experiment.value;
    if (!r) return;
    try {
      await api.saveResult(r, r.name);
    } catch (err) {
      state.message = (err as Error).message;
    }
  }

  /** Adds the runs of a saved result file to the compare view (labelled with the file name). */
  async function addResults(): Promise<void> {
    if (state.status === 'running' || state.status === 'paused' || state.status === 'starting') return;
    try {
      const r = await api.loadResult();
      if (!r) return;
      const parsed = SavedResultSchema.safeParse(r.result);
      if (!parsed.success) {
        const i = parsed.error.issues[0];
        throw new Error(
          `${r.name} is not an experiment result (${i.path.join('.') || '(file)'}: ${i.message})`,
        );
      }
      const saved = r.result as ExperimentResult;
      const label = r.name.replace(/(\.result)?\.json$/, '');
      const next = runs.value.length ? Math.max(...runs.value.map((x) => x.index)) + 1 : 0;
      const added = runViewsOf(saved, next, { source: label });
      runs.value = [...runs.value, ...added];
      state.totalRuns = runs.value.length;
      state.currentRun = added[0].index;
      if (state.status === 'idle') state.status = 'done';
      bump(true);
    } catch (err) {
      state.message = (err as Error).message;
    }
  }

  /**
   * What an export bundles: the shown experiment's result and, when the last result of the other
   * backend is of the same spec, both — the simulated one as `result`, the real-disk one as `real`.
   */
  function bundleResults(): BundledResults | null {
    const shown = experiment.value;
    if (!shown || experimentSpec === null) return null;
    // A kernel result goes with its own comparison simulation (results.json + results-kernel.json).
    const kernel = lastByBackend.kernel;
    if (kernel?.sim && (shown === kernel.result || shown === kernel.sim))
      return { result: kernel.sim, kernel: kernel.result };
    if (isKernelResult(shown)) return null; // a stopped kernel run: no whole simulation beside it
    const key = specKey(experimentSpec);
    if (isRealResult(shown)) {
      const sim = lastByBackend.sim;
      return sim && sim.key === key && !isRealResult(sim.result)
        ? { result: sim.result, real: shown }
        : { result: shown };
    }
    const real = lastByBackend.real;
    return real && real.key === key && isRealResult(real.result)
      ? { result: shown, real: real.result }
      : { result: shown };
  }

  /**
   * One run of a matrix experiment as an experiment of its own: the spec keeps its matrix with only
   * that run's values (so the run keeps its params and replays to the same numbers: runs do not
   * depend on their position in the matrix), and the results keep only that run.
   */
  function singleRun(
    spec: unknown,
    results: BundledResults,
    index: number,
  ): ({ spec: unknown } & BundledResults) | null {
    const run = results.result.runs[index];
    if (!run || results.result.runs.length < 2 || spec === null || typeof spec !== 'object') return null;
    const one = structuredClone(spec) as Record<string, unknown>;
    one.matrix = Object.fromEntries(Object.entries(run.params).map(([k, v]) => [k, [v]]));
    // The run at `index` of a result, alone (a not-run list belongs to the whole matrix: dropped).
    const pick = ({ not_run: _, ...r }: ExperimentResult, at: number): ExperimentResult => ({
      ...r,
      runs: [r.runs[at]],
    });
    // The real run of the same matrix cell, unless it was not run.
    const matrixIndex = runMatrixIndices(results.result)[index];
    const realAt = results.real ? runMatrixIndices(results.real).indexOf(matrixIndex) : -1;
    const real = results.real && realAt >= 0 ? pick(results.real, realAt) : undefined;
    // A kernel result has every run of the matrix, in order, like its comparison simulation.
    const kernel = results.kernel ? pick(results.kernel, index) : undefined;
    return {
      spec: one,
      result: pick(results.result, index),
      ...(real ? { real } : {}),
      ...(kernel ? { kernel } : {}),
    };
  }

  /** Whether run `index` of the shown experiment can be exported on its own (a matrix run). */
  function canExportRun(index: number | null): boolean {
    const shown = experiment.value;
    return index !== null && !!shown && shown.runs.length > 1 && index >= 0 && index < shown.runs.length;
  }

  /**
   * Exports the finished experiment as a bundle (spec, result(s), chart PNGs); with `runIndex`,
   * only that run of a matrix (see singleRun).
   */
  async function exportBundle(charts: Record<string, string> = {}, runIndex?: number): Promise<void> {
    const all = bundleResults();
    if (!all || experimentSpec === null) return;
    const picked =
      runIndex === undefined ? { spec: experimentSpec, ...all } : singleRun(experimentSpec, all, runIndex);
    if (!picked) return;
    state.bundleError = null;
    state.bundleBusy = true;
    try {
      await api.exportBundle({ ...picked, charts });
    } catch (err) {
      state.bundleError = `Export failed: ${(err as Error).message}`;
    } finally {
      state.bundleBusy = false;
    }
  }

  /**
   * Opens a bundle without re-running it: its spec goes into the editor and its stored samples into
   * the charts and compare view, as if they had streamed. A bundle with simulated and real-disk
   * results shows the simulated ones (the real ones overlaid) and makes "sim vs real" available; a
   * real-only bundle shows as a real-disk result.
   */
  async function importBundle(): Promise<void> {
    if (state.status === 'running' || state.status === 'paused' || state.status === 'starting') return;
    if (!confirmDiscard()) return;
    state.bundleError = null;
    state.bundleBusy = true;
    try {
      let b = await api.importBundle();
      if (b && 'confirm' in b) {
        // Over the work or memory limits: the user decides, with the estimate (as a run asks).
        const c = b.confirm;
        if (
          !window.confirm(
            `${c.name} holds a large experiment: ${c.over.join('; ')}.\nEstimate: ${c.summary}.\nOpen it anyway?`,
          )
        )
          return;
        b = await api.importBundle({ confirm: c.id });
      }
      if (!b || 'confirm' in b) return;
      const real = b.real ?? (isRealResult(b.result) ? b.result : null);
      const sim = isRealResult(b.result) ? null : b.result;
      const kernel = b.kernel ?? null;
      const key = specKey(b.spec);
      // A kernel bundle's simulation is the kernel's comparison run (the guest's overhead added):
      // it stays with its kernel result, not as the last plain simulation of the spec.
      if (kernel && sim) {
        state.kernelDurationS = null;
        lastByBackend.kernel = { key: kernelKey(b.spec), result: markRaw(kernel), sim: markRaw(sim) };
      } else if (sim) lastByBackend.sim = { key, result: markRaw(sim) };
      if (real) lastByBackend.real = { key, result: markRaw(real) };
      const measured = kernel ?? real;
      const measuredName: MeasuredBackend = kernel ? 'kernel' : 'real';
      const views = runViewsOf(b.result, 0);
      runs.value = views;
      notRun.value = notRunViewsOf(real, sim ? { source: 'real' } : {});
      counterpart.value = sim && measured ? runViewsOf(measured, 0, { source: measuredName }) : [];
      experiment.value = markRaw(b.result);
      experimentSpec = b.spec;
      importedKernel = kernel && sim ? markRaw(kernel) : null;
      state.runBackend = sim ? 'sim' : 'real';
      bundleCharts.value = markRaw(b.charts);
      state.imported = {
        name: b.name,
        engineVersion: b.engineVersion,
        created: b.created,
        backends: sim && kernel ? 'sim+kernel' : sim && real ? 'sim+real' : sim ? 'sim' : 'real',
        verify: sim ? 'not verified' : 'cannot verify',
        verifyDetail: !sim
          ? 'Real-disk results cannot be re-measured here.'
          : kernel
            ? "The numbers are as stored in the file (only their shape was checked). Verify re-simulates the kernel's comparison run (each run with its measured guest overhead) and compares every value; the kernel results cannot be re-run here."
            : 'The numbers are as stored in the file (only their shape was checked). Verify re-runs the spec and compares every value.',
        ...(b.sweep ? { sweepId: b.sweep.id } : {}),
      };
      sweepLoaded.clear();
      if (b.sweep && views.length) void openSweepRun(views[0].index);
      state.runId = null;
      state.message = null;
      state.totalRuns = views.length;
      state.currentRun = views.length ? views[0].index : -1;
      state.sampleCount = views.reduce((a, v) => a + v.samples.length, 0);
      state.simTimeS = views.length ? views[views.length - 1].simTimeS : 0;
      state.progress = 1;
      state.status = 'done';
      state.presetName = '';
      replaceSpec(JSON.stringify(b.spec, null, 2));
      bump(true);
    } catch (err) {
      state.bundleError = (err as Error).message;
    } finally {
      state.bundleBusy = false;
    }
  }

  /** Re-runs the imported spec and compares with the stored simulated result; marks the import verified when they agree. */
  async function verifyImport(): Promise<void> {
    const imp = state.imported;
    const stored = importedKernel ? experiment.value : lastByBackend.sim?.result;
    if (!imp || !stored || !experimentSpec || imp.verify === 'verifying') return;
    imp.verify = 'verifying';
    try {
      const r = await api.verifyImport({
        spec: experimentSpec,
        result: stored,
        ...(importedKernel ? { kernel: importedKernel } : {}),
      });
      if (state.imported !== imp) return;
      imp.verify = r.identical ? 'verified' : 'differs';
      imp.verifyDetail = r.identical
        ? 'A replay of the spec gave every stored value.'
        : `${r.differenceCount} values differ from a replay:\n${r.differences.join('\n')}${r.note ? `\n(${r.note})` : ''}`;
    } catch (err) {
      if (state.imported !== imp) return;
      imp.verify = 'not verified';
      imp.verifyDetail = `verification failed: ${(err as Error).message}`;
    }
  }

  /**
   * Every scheduler event of [fromS, toS] of a finished simulated run of the shown experiment (its
   * stored trace may be thinned): the Node side simulates the run again up to the window. Null when
   * that cannot be done here (a real-disk run, a run of another result added for comparison).
   */
  async function activityWindow(
    run: RunView,
    fromS: number,
    toS: number,
  ): Promise<ActivityWindowReply | null> {
    const exp = experiment.value;
    if (!run.result || !exp || experimentSpec === null || isMeasuredResult(exp) || realInfoOf(run.result))
      return null;
    // A kernel's comparison simulation is not the spec's simulation (the guest's overhead is added).
    if (kernelInfoOf(run.result) || importedKernel || exp === lastByBackend.kernel?.sim) return null;
    if (!runs.value.includes(run) || 'source' in run.params) return null;
    return api.activityWindow({
      spec: experimentSpec,
      params: run.params,
      fromS,
      toS,
      engineVersion: exp.engine_version,
    });
  }

  /** The kernel result of the imported bundle (its `result` is then the comparison simulation). */
  let importedKernel: ExperimentResult | null = null;

  /** Runs of the imported sweep whose detail (time series, trace) has been fetched. */
  const sweepLoaded = new Set<number>();

  /**
   * Opens run `index` of an imported sweep: the import brought summaries only, so its time series
   * and trace are fetched (once) and its run view replaced by the full one.
   */
  async function openSweepRun(index: number): Promise<void> {
    const id = state.imported?.sweepId;
    const exp = experiment.value;
    if (!id || !exp || sweepLoaded.has(index) || !runs.value.some((r) => r.index === index)) return;
    try {
      const run = await api.bundleRun(id, index);
      if (state.imported?.sweepId !== id) return; // another bundle was imported meanwhile
      const [full] = runViewsOf({ ...exp, runs: [run] }, index);
      sweepLoaded.add(index);
      runs.value = runs.value.map((r) => (r.index === index ? full : r));
      bump(true);
    } catch (err) {
      state.bundleError = (err as Error).message;
    }
  }

  return {
    state,
    activityWindow,
    verifyImport,
    openSweepRun,
    runs,
    notRun,
    counterpart,
    checkRealDir,
    checkKernel,
    pickKernelPath,
    refreshCanCompare,
    pickRealDir,
    compareBackends,
    exportBundle,
    canExportRun,
    importBundle,
    bundleCharts,
    saveResults,
    addResults,
    experiment,
    disk,
    api,
    valid,
    init,
    loadPreset,
    setSpecText,
    editSpecText,
    undo,
    dirty,
    run,
    control,
    setPacing,
    openSpec,
    saveSpec,
  };
}

export type Store = ReturnType<typeof createStore>;
