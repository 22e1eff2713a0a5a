/**
 * Safety with the user's disk: DIR checks, the lab's own file names, a lock file per run recording
 * the owner pid, removal of leftovers whose owner is dead, free-space and O_DIRECT checks, and
 * page-aligned buffers for O_DIRECT.
 */
import {
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

interface LockInfo {
  pid: number;
  host: string;
  started: string;
}

export function writeLock(dir: string, runId: string): string {
  const p = join(dir, `pvblk-${runId}.lock`);
  const fd = openSync(
    p,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    const info: LockInfo = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
    writeSync(fd, JSON.stringify(info));
  } finally {
    closeSync(fd);
  }
  return p;
}

/**
 * Remove leftovers of earlier runs in DIR: image files and locks of runs whose owner (pid in the
 * lock, same host) is dead, and images without a lock (the lock is written before any image and
 * removed after them). Returns the names removed. Touches nothing that does not match the pattern.
 */
export function cleanLeftovers(dir: string): string[] {
  const removed: string[] = [];
  const names = readdirSync(dir);
  const live = new Set<string>();
  const dead = new Set<string>();
  for (const n of names) {
    const m = LOCK_RE.exec(n);
    if (!m) continue;
    let info: LockInfo | null = null;
    try {
      info = JSON.parse(readFileSync(join(dir, n), 'utf8')) as LockInfo;
    } catch {
      info = null;
    }
    if (info && info.host !== hostname()) live.add(m[1]);
    else if (info && typeof info.pid === 'number' && pidAlive(info.pid)) live.add(m[1]);
    else dead.add(m[1]);
  }
  for (const n of names) {
    const m = IMG_RE.exec(n);
    if (m && !live.has(m[1]) && removeOwnFile(dir, n)) removed.push(n);
  }
  for (const id of dead) {
    const n = `pvblk-${id}.lock`;
    if (removeOwnFile(dir, n)) removed.push(n);
  }
  return removed;
}

/** Remove every file of one run (images first, the lock last). */
export function removeRunFiles(dir: string, runId: string): void {
  if (!existsSync(dir)) return;
  for (const n of readdirSync(dir)) {
    const m = IMG_RE.exec(n);
    if (m && m[1] === runId) removeOwnFile(dir, n);
  }
  removeOwnFile(dir, `pvblk-${runId}.lock`);
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
