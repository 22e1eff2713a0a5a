/**
 * The guest's initramfs: busybox (static, from busybox-static), fio with the shared libraries
 * `ldd` names, the kernel modules the run needs (dependencies first) and the run's own /init and
 * job files. The base part (busybox, fio, libraries, modules) is written once per kernel and
 * modules list into the cache; each run appends a small archive with its /init (the kernel
 * unpacks concatenated archives in order).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, realpathSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CpioWriter } from './cpio';
import { KernelRefusal } from './errors';
import { type GuestKernel, KERNEL_APT_HINT, moduleLoadOrder } from './kernel-package';

/** Modules every run needs (virtio PCI transport and block driver), then the schedulers. */
export const BASE_MODULES = ['virtio_pci', 'virtio_blk'];
export const SCHEDULER_MODULES: Record<string, string | null> = {
  none: null,
  'mq-deadline': 'mq_deadline',
  bfq: 'bfq',
  kyber: 'kyber_iosched',
};

function which(cmd: string): string | null {
  for (const d of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const p = join(d, cmd);
    if (existsSync(p)) return p;
  }
  return null;
}

/** busybox must be static: the guest has no libc for it (fio brings its own libraries). */
function staticBusybox(): string {
  for (const p of ['/bin/busybox', '/usr/bin/busybox', which('busybox')]) {
    if (!p || !existsSync(p)) continue;
    try {
      execFileSync('ldd', [p], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch {
      return p; // ldd fails on a static binary ("not a dynamic executable")
    }
  }
  throw new KernelRefusal(`no static busybox found (apt-get install busybox-static); ${KERNEL_APT_HINT}`);
}

/** The shared libraries of a binary (paths as the loader finds them, and where they really are). */
function sharedLibraries(bin: string): { path: string; real: string }[] {
  const out = execFileSync('ldd', [bin], { encoding: 'utf8' });
  const libs: { path: string; real: string }[] = [];
  for (const line of out.split('\n')) {
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.push({ path: m[1], real: realpathSync(m[1]) });
  }
  return libs;
}

/** The host programs the guest is built from: fio (with its libraries) and a static busybox; a KernelRefusal naming the package otherwise. */
export function guestTools(): { fio: string; busybox: string } {
  const fio = which('fio');
  if (!fio) throw new KernelRefusal(`fio not found (apt-get install fio); ${KERNEL_APT_HINT}`);
  return { fio, busybox: staticBusybox() };
}

export interface BaseImage {
  path: string;
  /** Modules in load order (their names; files are in /lib/modules/NAME.ko in the guest). */
  modules: string[];
  fio: string;
}

/** Build (or reuse from the cache) the base archive for this kernel and module list. */
export function baseInitramfs(kernel: GuestKernel, wanted: string[], cache: string): BaseImage {
  const { fio, busybox } = guestTools();
  const { files, missing } = moduleLoadOrder(kernel.modulesDir, wanted);
  if (kernel.modulesDir && missing.length > 0)
    throw new KernelRefusal(
      `kernel ${kernel.release}: module(s) ${missing.join(', ')} neither in ${kernel.modulesDir} nor built in`,
    );
  const libs = sharedLibraries(fio);
  const key = createHash('sha256')
    .update(
      JSON.stringify({
        k: kernel.image,
        ks: statSync(kernel.image).mtimeMs,
        files: files.map((f) => f.path),
        fio,
        fs: statSync(fio).mtimeMs,
        busybox,
        libs,
        v: 1,
      }),
    )
    .digest('hex')
    .slice(0, 16);
  const path = join(cache, `base-${key}.cpio`);
  const modules = files.map((f) => f.name);
  if (existsSync(path)) return { path, modules, fio };
  const tmp = `${path}.${process.pid}.tmp`;
  const w = new CpioWriter(tmp);
  for (const d of ['dev', 'proc', 'sys', 'tmp', 'out', 'etc', 'sys/fs/cgroup', 'bin', 'sbin', 'usr/bin'])
    w.dir(d);
  w.charDevice('dev/console', 5, 1);
  w.charDevice('dev/null', 1, 3, 0o666);
  w.file('bin/busybox', readFileSync(busybox), 0o755);
  w.symlink('bin/sh', 'busybox');
  w.file('usr/bin/fio', readFileSync(fio), 0o755);
  const done = new Set<string>();
  for (const l of libs) {
    if (done.has(l.path)) continue;
    done.add(l.path);
    w.file(l.path, readFileSync(l.real), 0o755);
  }
  for (const f of files) w.file(`lib/modules/${f.name}.ko`, readFileSync(f.path));
  w.close();
  renameSync(tmp, path);
  return { path, modules, fio };
}

/** The run's archive: the base, then /init and the job files. */
export function runInitramfs(base: BaseImage, out: string, files: Record<string, string>): void {
  copyFileSync(base.path, out);
  const w = new CpioWriter(out, true);
  for (const [name, text] of Object.entries(files)) w.file(name, text, name === 'init' ? 0o755 : 0o644);
  w.close();
}
