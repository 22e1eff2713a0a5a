/**
 * Safety with the user's disk: DIR checks, the lab's own file names, a lock file per run recording
 * the owner pid, removal of leftovers whose owner is dead, free-space and O_DIRECT checks, and
 * page-aligned buffers for O_DIRECT.
 */
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmdirSync,
  statfsSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';

/** A refusal the user can act on (CLI exit status 2). */
export class RealRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RealRefusal';
  }
}

export const IMG_RE = /^pvblk-([a-z0-9]+)-[A-Za-z0-9_.-]+\.img$/;
export const LOCK_RE = /^pvblk-([a-z0-9]+)\.lock$/;

/** A run's id: the owner's pid in base 36, then 4 random base-36 digits (see runOwnerPid). */
export const newRunId = (): string =>
  `${process.pid.toString(36)}${Math.floor(Math.random() * 36 ** 4)
    .toString(36)
    .padStart(4, '0')}`;

/** The owner pid in a run id made by newRunId, or NaN when it is too short to hold one. */
export const runOwnerPid = (runId: string): number =>
  runId.length < 5 ? Number.NaN : Number.parseInt(runId.slice(0, -4), 36);

export const safeName = (s: string): string => s.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 60) || 'x';

const FORBIDDEN_ROOTS = ['/proc', '/sys', '/dev', '/run'];
/** Folders of the operating system itself: refused, and so is anything inside them. */
const SYSTEM_TREES = ['/etc', '/usr', '/boot', '/bin', '/sbin'];
/** Folders that hold the system's state or a home: refused themselves (a folder inside, e.g. /var/tmp, is fine). */
const SYSTEM_DIRS = ['/', '/var', '/root', '/home'];
const LIB_RE = /^\/lib[^/]*(\/|$)/;
/** Files that make a folder the root of an installed operating system. */
const OS_MARKERS = ['etc/os-release', 'usr/lib/os-release', 'etc/fstab'];

/** Why `real` (a resolved absolute path) is a system folder or an OS root, or null when it is neither. */
export function systemFolderReason(real: string, rootDev: number = safeDev('/')): string | null {
  if (SYSTEM_DIRS.includes(real)) return `is a system folder (${real})`;
  for (const t of SYSTEM_TREES)
    if (real === t || real.startsWith(`${t}/`)) return `is inside the operating system's ${t}`;
  if (LIB_RE.test(real))
    return `is inside the operating system's libraries (${real.split('/').slice(0, 2).join('/')})`;
  const marker = OS_MARKERS.find((m) => existsSync(join(real, m)));
  if (marker) return `holds an operating system (${marker}); it may be the root of a mounted system`;
  if (real !== '/' && mountRootAt(real) === '/' && safeDev(real) === rootDev)
    return 'is a second mount of the whole filesystem that holds the operating system (the same device as /)';
  return null;
}

function safeDev(p: string): number {
  try {
    return Number(lstatSync(p).dev);
  } catch {
    return -1;
  }
}

/** The filesystem path mounted at `p` (mountinfo's "root" field: `/` for a whole filesystem), or null when `p` is no mount point. */
function mountRootAt(p: string): string | null {
  const unoctal = (s: string) =>
    s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(Number.parseInt(o, 8)));
  try {
    // Fields: id, parent, major:minor, root, mount point, … (spaces etc. escaped as octal, \040).
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const f = line.split(' ');
      if (f.length > 4 && unoctal(f[4]) === p) return unoctal(f[3]);
    }
  } catch {
    // no /proc: not Linux, or hidden; the other checks still apply
  }
  return null;
}

/**
 * Resolve and check the folder the lab may write into: it must exist, be a directory (not a device,
 * not a file), not itself be a symlink (a link could point anywhere), and not be a pseudo filesystem.
 * Returns its real path.
 */
export function checkDir(dir: string): string {
  if (!dir) throw new RealRefusal('--dir: a folder is required');
  const abs = resolve(dir);
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(abs);
  } catch (e) {
    throw new RealRefusal(`${dir}: does not exist (${(e as NodeJS.ErrnoException).code})`);
  }
  if (st.isSymbolicLink())
    throw new RealRefusal(
      `${dir}: is a symbolic link (to ${safeRealpath(abs)}); give the real folder so the lab cannot be led elsewhere`,
    );
  if (st.isBlockDevice() || st.isCharacterDevice())
    throw new RealRefusal(`${dir}: is a device; the lab only writes its own files inside a folder`);
  if (!st.isDirectory()) throw new RealRefusal(`${dir}: is not a directory`);
  const real = realpathSync(abs);
  if (real !== abs && !isAbsolute(real)) throw new RealRefusal(`${dir}: cannot resolve`);
  for (const root of FORBIDDEN_ROOTS)
    if (real === root || real.startsWith(`${root}/`))
      throw new RealRefusal(`${dir}: is on a pseudo filesystem (${root}); choose a folder on a disk`);
  const why = systemFolderReason(real);
  if (why)
    throw new RealRefusal(
      `${dir}: ${why}; the lab writes large files there, so choose (or make) a folder of your own, e.g. /var/tmp/pvblk`,
    );
  try {
    accessSync(real, constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RealRefusal(
      `${dir}: cannot write there (${code}${code === 'EROFS' ? ': read-only file system' : code === 'EACCES' ? ': permission denied' : ''}); choose a folder you can write to`,
    );
  }
  return real;
}

/**
 * The folder for a run: checkDir(dir) when it exists; otherwise, when `create` is set and its
 * parent passes checkDir, the folder is made (mode 0700, one level only) and `created` is true so
 * the caller removes it again if it is empty at the end.
 */
export function prepareDir(dir: string, create: boolean): { dir: string; created: boolean } {
  if (!dir) throw new RealRefusal('--dir: a folder is required');
  const abs = resolve(dir);
  if (!create || existsSync(abs) || isSymlink(abs)) return { dir: checkDir(dir), created: false };
  const parent = checkDir(dirname(abs));
  const made = join(parent, basename(abs));
  try {
    mkdirSync(made, { mode: 0o700 });
  } catch (e) {
    throw new RealRefusal(`${dir}: cannot create the folder (${(e as NodeJS.ErrnoException).code})`);
  }
  return { dir: checkDir(made), created: true };
}

/** Remove a folder the lab created, if nothing is left in it. */
export function removeCreatedDir(dir: string): void {
  try {
    if (readdirSync(dir).length === 0) rmdirSync(dir);
  } catch {
    // gone already, or not empty: leave it
  }
}

const isSymlink = (p: string): boolean => {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
};

function safeRealpath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return '(dangling)';
  }
}

/** A file the lab owns: its name matches the lab's pattern and it is a regular file (never follows links). */
export function removeOwnFile(dir: string, name: string): boolean {
  if (!IMG_RE.test(name) && !LOCK_RE.test(name)) return false;
  const p = join(dir, name);
  try {
    const st = lstatSync(p);
    if (!st.isFile()) return false;
    unlinkSync(p);
    return true;
  } catch {
    return false;
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // a killed process not yet reaped (zombie) is dead too
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/**
 * A run's manifest (its lock file, `pvblk-<run id>.lock`): written before any file of the run, it
 * carries the run's id, the owner (pid, host) and the name of every file the run creates, each
 * recorded before the file is made. Only files named in the manifest of a dead run are ever
 * deleted: a file that merely looks like the lab's (`pvblk-mydata-backup.img`) is never touched.
 */
export interface RunManifest {
  kind: typeof MANIFEST_KIND;
  run_id: string;
  pid: number;
  host: string;
  started: string;
  files: string[];
}

const MANIFEST_KIND = 'pvblk-run-manifest';
const lockName = (runId: string) => `pvblk-${runId}.lock`;

/** The manifest of run `runId` in DIR, or null when there is none or it is not one the lab wrote for that run. */
export function readManifest(dir: string, runId: string): RunManifest | null {
  let raw: unknown;
  try {
    const p = join(dir, lockName(runId));
    if (!lstatSync(p).isFile()) return null;
    raw = JSON.parse(readFileSync(p, 'utf8'));
  } catch {
    return null;
  }
  const m = raw as Partial<RunManifest> | null;
  if (
    !m ||
    typeof m !== 'object' ||
    m.kind !== MANIFEST_KIND ||
    m.run_id !== runId ||
    typeof m.pid !== 'number' ||
    typeof m.host !== 'string' ||
    !Array.isArray(m.files) ||
    !m.files.every((f) => typeof f === 'string' && runFileOf(f) === runId)
  )
    return null;
  return m as RunManifest;
}

/** The run id in a run file's name (`pvblk-<id>-….img`), or null. */
const runFileOf = (name: string): string | null => IMG_RE.exec(name)?.[1] ?? null;

function writeManifest(dir: string, m: RunManifest, create: boolean): void {
  const fd = openSync(
    join(dir, lockName(m.run_id)),
    constants.O_WRONLY |
      constants.O_NOFOLLOW |
      (create ? constants.O_CREAT | constants.O_EXCL : constants.O_TRUNC),
    0o600,
  );
  try {
    writeSync(fd, JSON.stringify(m));
  } finally {
    closeSync(fd);
  }
}

/** Creates the run's manifest (its lock), before any file of the run; fails if it exists. */
export function writeLock(dir: string, runId: string): string {
  writeManifest(
    dir,
    {
      kind: MANIFEST_KIND,
      run_id: runId,
      pid: process.pid,
      host: hostname(),
      started: new Date().toISOString(),
      files: [],
    },
    true,
  );
  return join(dir, lockName(runId));
}

/** Records `name` in the run's manifest before the file is created; the name must be one of the run's. */
export function recordFile(dir: string, runId: string, name: string): void {
  if (runFileOf(name) !== runId) throw new Error(`${name}: not a file name of run ${runId}`);
  const m = readManifest(dir, runId);
  if (!m) throw new RealRefusal(`${join(dir, lockName(runId))}: the run's manifest is missing or changed`);
  if (m.files.includes(name)) return;
  m.files.push(name);
  writeManifest(dir, m, false);
}

/**
 * Remove leftovers of earlier runs in DIR: the files named in the manifest of a run whose owner
 * (pid, same host) is dead, then that manifest. Nothing else is touched: not a file without a
 * manifest, not one a manifest does not name, not a manifest the lab cannot read as its own.
 * Returns the names removed.
 */
export function cleanLeftovers(dir: string): string[] {
  const removed: string[] = [];
  for (const n of readdirSync(dir)) {
    const id = LOCK_RE.exec(n)?.[1];
    if (!id) continue;
    const m = readManifest(dir, id);
    if (!m || m.host !== hostname() || pidAlive(m.pid)) continue;
    removed.push(...removeManifestFiles(dir, m));
  }
  return removed;
}

function removeManifestFiles(dir: string, m: RunManifest): string[] {
  const removed = m.files.filter((f) => removeOwnFile(dir, f));
  if (removeOwnFile(dir, lockName(m.run_id))) removed.push(lockName(m.run_id));
  return removed;
}

/** Remove every file of one run (the files its manifest names first, the manifest last). */
export function removeRunFiles(dir: string, runId: string): void {
  if (!existsSync(dir)) return;
  const m = readManifest(dir, runId);
  if (m) removeManifestFiles(dir, m);
}

export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return Number(s.bavail) * Number(s.bsize);
}

export function checkFreeSpace(dir: string, need: number): void {
  const free = freeBytes(dir);
  const margin = 256 * 1024 ** 2;
  if (need + margin > free)
    throw new RealRefusal(
      `${dir}: not enough free space: the run needs ${(need / 1024 ** 3).toFixed(2)} GiB (+0.25 GiB margin), ` +
        `${(free / 1024 ** 3).toFixed(2)} GiB free; lower --size-gb`,
    );
}

interface WasmApi {
  Memory: new (d: { initial: number; maximum: number }) => { buffer: ArrayBuffer };
}

/** Page-aligned memory for O_DIRECT (Buffer.alloc is not aligned): a Buffer over a WebAssembly.Memory. */
export function alignedBuffer(bytes: number): Buffer {
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const mem = new wasm.Memory({ initial: pages, maximum: pages });
  return Buffer.from(mem.buffer, 0, bytes);
}

/** Filesystems that live in memory (statfs f_type): O_DIRECT there (tmpfs accepts it since Linux 6.6) never reaches a disk. */
const MEMORY_FS: Record<number, string> = { 16914836: 'tmpfs', 2240043254: 'ramfs' };

export function checkFilesystem(dir: string): void {
  const fs = MEMORY_FS[Number(statfsSync(dir).type)];
  if (fs)
    throw new RealRefusal(
      `${dir}: is on ${fs} (memory): the run would measure RAM, not a disk; choose a folder on a local disk`,
    );
}

/** Does the filesystem under DIR accept O_DIRECT? Writes and removes one 4 KiB probe file of the run. */
export function probeODirect(dir: string, runId: string): void {
  const p = join(dir, `pvblk-${runId}-probe.img`);
  if (existsSync(join(dir, lockName(runId)))) recordFile(dir, runId, `pvblk-${runId}-probe.img`);
  let fd = -1;
  try {
    fd = openSync(
      p,
      constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW | constants.O_DIRECT,
      0o600,
    );
    const b = alignedBuffer(4096);
    b.fill(0x5a);
    writeSync(fd, b, 0, 4096, 0);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RealRefusal(
      `${dir}: the filesystem refuses O_DIRECT (${code}); it would measure the page cache, not the disk ` +
        '(tmpfs and some network/FUSE filesystems do this); choose a folder on a local disk',
    );
  } finally {
    if (fd >= 0) closeSync(fd);
    removeOwnFile(dir, `pvblk-${runId}-probe.img`);
  }
}
