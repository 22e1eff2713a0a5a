/**
 * The Node side of trace workloads: where a spec's trace files are (relative paths resolve against
 * the spec file's folder), a check of every trace before a run, and the TraceProvider the engine
 * pulls records through.
 */
import { isAbsolute, resolve } from 'node:path';
import type { Spec, SpecInput, TraceSpec } from '../../common/spec/schema';
import type { TracePreview } from '../../common/trace';
import type { TraceProvider } from '../../engine/workload/trace/index';
import { openTraceFile, TraceFileError } from './reader';
import { scanTrace } from './scan';

/** Every trace of a spec by its thread's path (`vms.0.threads.1`, `native.0`). */
export function tracesOf(spec: Pick<Spec, 'vms' | 'native'>): Map<string, TraceSpec> {
  const out = new Map<string, TraceSpec>();
  spec.vms.forEach((vm, vi) => {
    vm.threads.forEach((th, ti) => {
      if (th.trace) out.set(`vms.${vi}.threads.${ti}`, th.trace);
    });
  });
  spec.native.forEach((th, ti) => {
    if (th.trace) out.set(`native.${ti}`, th.trace);
  });
  return out;
}

/** Make the trace files of a raw spec absolute, relative to `baseDir` (the spec file's folder). */
export function resolveTracePaths(input: SpecInput, baseDir: string): void {
  if (!input || typeof input !== 'object') return;
  const lists = [...(Array.isArray(input.vms) ? input.vms.map((v) => v?.threads) : []), input.native];
  for (const list of lists) {
    if (!Array.isArray(list)) continue;
    for (const th of list) {
      const f = th?.trace?.file;
      if (typeof f === 'string' && f !== '' && !isAbsolute(f)) th.trace!.file = resolve(baseDir, f);
    }
  }
}

/**
 * Read every trace of a (matrix-expanded or plain) spec once: a bad line or a missing file throws
 * a TraceFileError naming the thread, the file, the line and the field. Returns the scans by file.
 */
export function checkTraces(spec: Spec): Map<string, TracePreview> {
  const scans = new Map<string, TracePreview>();
  for (const [path, t] of tracesOf(spec)) {
    const key = `${t.file}\0${t.format}\0${t.events}`;
    if (scans.has(key)) continue;
    try {
      const scan = scanTrace(t.file, t.format, t.events);
      if (t.sha256 && scan.sha256 !== t.sha256)
        throw new TraceFileError(`${t.file}: SHA-256 ${scan.sha256} differs from the spec's ${t.sha256}`);
      scans.set(key, scan);
    } catch (e) {
      if (e instanceof TraceFileError) throw new TraceFileError(`${path}.trace.file: ${e.message}`);
      throw e;
    }
  }
  return scans;
}

/** Opens a spec's trace files by thread path; pids come from a scan, made once per file. */
export function fileTraceProvider(spec: Pick<Spec, 'vms' | 'native'>): TraceProvider {
  const traces = tracesOf(spec);
  const pids = new Map<string, number[]>();
  const traceAt = (path: string): TraceSpec => {
    const t = traces.get(path);
    if (!t) throw new Error(`${path}: no trace in the spec`);
    return t;
  };
  return {
    catalog(path) {
      const t = traceAt(path);
      const key = `${t.file}\0${t.format}\0${t.events}`;
      let p = pids.get(key);
      if (!p) {
        const scan = scanTrace(t.file, t.format, t.events);
        if (t.split_by === 'pid' && scan.pids_truncated)
          throw new TraceFileError(
            `${path}.trace.split_by: ${t.file} has more than ${scan.pids.length} process ids`,
          );
        p = scan.pids;
        pids.set(key, p);
      }
      return { pids: p };
    },
    open(path, pid) {
      const t = traceAt(path);
      return openTraceFile(t.file, { format: t.format, events: t.events, pid });
    },
  };
}
