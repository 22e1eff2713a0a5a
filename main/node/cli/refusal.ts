/**
 * How the CLI refuses and reports what went wrong outside the lab, without loading the engine:
 * - an output path (`--out`) is checked before a simulation, so a missing or read-only folder fails
 *   in a second, not after the whole run;
 * - errors from the file system or the network become one line naming the path or port (exit 2).
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** A refusal the user can act on: the CLI prints the message and exits 2. */
export class CliRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliRefusal';
  }
}

/** Checks that `path` can be written (its folder exists and is writable; it is not a folder). */
export function checkOutputPath(path: string): void {
  const abs = resolve(path);
  const dir = dirname(abs);
  let st: ReturnType<typeof statSync> | undefined;
  try {
    st = statSync(dir);
  } catch {
    throw new CliRefusal(`${path}: the folder ${dir} does not exist`);
  }
  if (!st.isDirectory()) throw new CliRefusal(`${path}: ${dir} is not a folder`);
  try {
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new CliRefusal(`${path}: cannot write into ${dir} (${(e as NodeJS.ErrnoException).code})`);
  }
  try {
    if (statSync(abs).isDirectory()) throw new CliRefusal(`${path}: is a folder; give a file name`);
  } catch (e) {
    if (e instanceof CliRefusal) throw e;
    // does not exist yet: fine
  }
}

const ERRNO_TEXT: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'is a folder',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EEXIST: 'already exists',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'name too long',
  ELOOP: 'too many symbolic links',
  EIO: 'input/output error',
  EBUSY: 'busy',
  EADDRINUSE: 'already in use',
  EADDRNOTAVAIL: 'address not available',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
};

/**
 * One line for an error from the file system or the network (a Node errno error carrying a path or
 * port), naming that path or port; null for anything else.
 */
export function systemErrorLine(e: unknown): string | null {
  if (!(e instanceof Error)) return null;
  const err = e as NodeJS.ErrnoException & { port?: number; address?: string; dest?: string };
  if (typeof err.code !== 'string' || !/^E[A-Z]+$/.test(err.code) || typeof err.syscall !== 'string')
    return null;
  const what = ERRNO_TEXT[err.code] ?? err.code;
  if (err.path)
    return `${err.path}${err.dest ? ` → ${err.dest}` : ''}: cannot ${err.syscall} (${err.code}: ${what})`;
  if (err.port !== undefined) return `port ${err.port}: ${what} (${err.code})`;
  return `${err.syscall}: ${what} (${err.code})`;
}
