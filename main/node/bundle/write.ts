/**
 * Writing a bundle to disk, atomically: the bytes go to a temporary file in the target's directory,
 * are fsynced, and the file is renamed over the final name (then the directory is fsynced, best
 * effort). On any error the temporary file is removed, so a crash or failure never leaves a half
 * bundle under the final name (an existing file there stays as it was); a temporary file a killed
 * writer left behind is removed by the next write of the same name.
 */
import { randomBytes } from 'node:crypto';
import { lstat, open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { ExperimentResult } from '../../common/result';
import type { Spec } from '../../common/spec/schema';
import { pidAlive } from '../real/safety';
import { packTraces } from '../trace/bundle';
import { type BundleExtras, buildBundle } from './build';

export type { BundleExtras } from './build';

export interface AtomicWriteHooks {
  /** Called after the temporary file is written and synced, before the rename (tests inject failures here). */
  beforeRename?: (tempPath: string) => void | Promise<void>;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Removes temporary files an interrupted write of `name` left in `dir` (killed before its rename):
 * only names of exactly our pattern, `.<name>.<pid>.<12 hex>.tmp`, whose writer pid is dead, and
 * only regular files. Returns the names removed.
 */
export async function removeStaleTemps(dir: string, name: string): Promise<string[]> {
  const re = new RegExp(`^\\.${escapeRe(name)}\\.(\\d+)\\.[0-9a-f]{12}\\.tmp$`);
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return removed;
  }
  for (const n of names) {
    const pid = Number(re.exec(n)?.[1]);
    if (!pid || pidAlive(pid)) continue;
    try {
      if (!(await lstat(join(dir, n))).isFile()) continue;
      await unlink(join(dir, n));
      removed.push(n);
    } catch {
      // gone already or not ours to remove: leave it
    }
  }
  return removed;
}

/** Write `bytes` to `path` atomically (temp file in the same directory, fsync, rename). */
export async function writeFileAtomic(
  path: string,
  bytes: Uint8Array,
  hooks: AtomicWriteHooks = {},
): Promise<void> {
  const target = resolve(path);
  const dir = dirname(target);
  const temp = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  await removeStaleTemps(dir, basename(target));
  let created = false;
  try {
    const fh = await open(temp, 'wx', 0o644);
    created = true;
    try {
      let off = 0;
      while (off < bytes.length) {
        const { bytesWritten } = await fh.write(bytes, off, bytes.length - off);
        off += bytesWritten;
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    await hooks.beforeRename?.(temp);
    await rename(temp, target);
    created = false;
  } catch (e) {
    if (created) await unlink(temp).catch(() => {});
    throw e;
  }
  // Make the rename itself durable; not possible everywhere (e.g. Windows), so best effort.
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    /* ignore */
  }
}

/**
 * Write an experiment bundle (`*.pvblk.zip`) for `spec` (parsed, defaults filled) and its result.
 * The spec is stored fully resolved (disk preset expanded).
 */
export async function writeBundle(
  path: string,
  spec: Spec,
  result: ExperimentResult,
  extras?: BundleExtras,
  hooks?: AtomicWriteHooks,
): Promise<void> {
  const packed = packTraces(spec);
  const bytes = await buildBundle(packed.spec, result, { ...extras, traceFiles: packed.files });
  await writeFileAtomic(path, bytes, hooks);
}
