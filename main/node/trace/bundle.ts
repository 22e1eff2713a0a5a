/**
 * Trace files in experiment bundles, so a replay reproduces a trace run offline: a bundle carries
 * each trace under `traces/<sha256>/<name>` and its spec.json names that entry, with the file's
 * SHA-256 (docs/traces.md "Bundles"). Replaying writes them to a temporary folder and points the
 * spec there; the hash is checked before the run.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Spec, TraceSpec } from '../../common/spec/schema';
import { TRACE_FILE_RE } from '../bundle/format';
import { TraceFileError } from './reader';
import { scanTrace } from './scan';

function eachTrace(spec: Spec, fn: (t: TraceSpec) => void): void {
  for (const vm of spec.vms) for (const th of vm.threads) if (th.trace) fn(th.trace);
  for (const th of spec.native) if (th.trace) fn(th.trace);
}

/** A safe entry name for a trace file: its hash, then its base name reduced to letters, digits, ".", "_", "-". */
function entryName(sha: string, file: string): string {
  const name =
    basename(file)
      .replace(/[^A-Za-z0-9._-]/g, '_')
      .replace(/^[^A-Za-z0-9]+/, '') || 'trace';
  return `traces/${sha}/${name.slice(0, 100)}`;
}

/** The spec as a bundle stores it (trace files named by entry, with hashes) and the files to add. */
export function packTraces(spec: Spec): { spec: Spec; files: Record<string, Uint8Array> } {
  const files: Record<string, Uint8Array> = {};
  const out = structuredClone(spec);
  eachTrace(out, (t) => {
    if (TRACE_FILE_RE.test(t.file))
      throw new TraceFileError(`${t.file}: already a bundle entry; unpack the bundle first`);
    const sha = scanTrace(t.file, t.format, t.events).sha256;
    const name = entryName(sha, t.file);
    if (!files[name]) files[name] = new Uint8Array(readFileSync(t.file));
    t.file = name;
    t.sha256 = sha;
  });
  return { spec: out, files };
}

/**
 * A bundle's spec with its trace entries written to a temporary folder (absolute paths). Call
 * `cleanup` when done. A spec without bundle entries comes back unchanged.
 */
export function unpackTraces(
  spec: Spec,
  files: Map<string, Uint8Array>,
): { spec: Spec; cleanup: () => void } {
  let dir: string | null = null;
  const out = structuredClone(spec);
  eachTrace(out, (t) => {
    if (!TRACE_FILE_RE.test(t.file)) return;
    const data = files.get(t.file);
    if (!data) throw new TraceFileError(`${t.file}: named by spec.json but not in the bundle`);
    dir ??= mkdtempSync(join(tmpdir(), 'pvblk-traces-'));
    // traces/<sha>/<name> under the folder: the file keeps its name, which run summaries report.
    const path = join(dir, ...t.file.split('/'));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, data);
    t.file = path;
  });
  return {
    spec: out,
    cleanup: () => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
