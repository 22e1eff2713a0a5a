/**
 * A writer of the "newc" cpio format, the format of a Linux initramfs
 * (Documentation/driver-api/early-userspace/buffer-format.rst): per entry a 110-byte ASCII header,
 * the name (NUL-terminated, padded to 4 bytes), the data (padded to 4 bytes), and a TRAILER!!!
 * entry at the end. Archives may be concatenated; the kernel unpacks them in order.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');
const pad4 = (n: number): number => (4 - (n % 4)) % 4;

export class CpioWriter {
  private readonly fd: number;
  private ino = 1;
  private readonly dirs = new Set<string>();

  constructor(path: string, append = false) {
    this.fd = openSync(path, append ? 'a' : 'w');
  }

  private entry(name: string, mode: number, data: Buffer, rdevMajor = 0, rdevMinor = 0): void {
    const nameBuf = Buffer.from(`${name}\0`, 'utf8');
    const fields = [
      hex8(this.ino++),
      hex8(mode),
      hex8(0), // uid
      hex8(0), // gid
      hex8(mode & S_IFDIR ? 2 : 1), // nlink
      hex8(0), // mtime: fixed, so the same inputs give the same archive
      hex8(data.length),
      hex8(0),
      hex8(0),
      hex8(rdevMajor),
      hex8(rdevMinor),
      hex8(nameBuf.length),
      hex8(0), // check
    ];
    const head = Buffer.from(`070701${fields.join('')}`, 'ascii');
    writeSync(this.fd, head);
    writeSync(this.fd, nameBuf);
    writeSync(this.fd, Buffer.alloc(pad4(head.length + nameBuf.length)));
    if (data.length > 0) {
      writeSync(this.fd, data);
      writeSync(this.fd, Buffer.alloc(pad4(data.length)));
    }
  }

  /** A directory and its parents (created once). */
  dir(path: string): void {
    const parts = path.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const p = parts.slice(0, i).join('/');
      if (this.dirs.has(p)) continue;
      this.dirs.add(p);
      this.entry(p, S_IFDIR | 0o755, Buffer.alloc(0));
    }
  }

  private parent(path: string): string {
    const p = path.replace(/^\/+/, '');
    const k = p.lastIndexOf('/');
    if (k > 0) this.dir(p.slice(0, k));
    return p;
  }

  file(path: string, data: Buffer | string, mode = 0o644): void {
    const p = this.parent(path);
    this.entry(p, S_IFREG | mode, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  }

  symlink(path: string, target: string): void {
    const p = this.parent(path);
    this.entry(p, S_IFLNK | 0o777, Buffer.from(target, 'utf8'));
  }

  charDevice(path: string, major: number, minor: number, mode = 0o600): void {
    const p = this.parent(path);
    this.entry(p, S_IFCHR | mode, Buffer.alloc(0), major, minor);
  }

  /** Write the trailer and close. */
  close(): void {
    this.entry('TRAILER!!!', 0, Buffer.alloc(0));
    closeSync(this.fd);
  }
}
