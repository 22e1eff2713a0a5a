/**
 * Starting and watching the guest: qemu-system-x86_64 with the kernel, the run's initramfs, the
 * NBD disk (vda, Qemu's own NBD client) and the results disk (vdb), serial console on stdout.
 *
 * Acceleration: KVM when /dev/kvm opens and a KVM guest actually gets to print its first kernel
 * line (nested setups may expose /dev/kvm whose guests never run), else multi-threaded TCG. The
 * verdict is cached per host boot. PVBLK_KERNEL_ACCEL=kvm|tcg forces one.
 *
 * The binary: `qemu-system-x86_64` on PATH, or PVBLK_QEMU, or a path given per run (`--qemu`, the
 * UI's kernel options).
 *
 * Cleanup: Qemu runs under a small sh wrapper that also watches its stdin, a pipe from this
 * process: when this process ends in any way (even SIGKILL) the pipe closes and the wrapper kills
 * Qemu. `stop()` kills it directly.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KernelRefusal } from './errors';
import { KERNEL_APT_HINT } from './kernel-package';

export const QEMU = 'qemu-system-x86_64';

// (an asynchronous list's stdin is /dev/null unless redirected: the watcher reads fd 3, a copy of ours)
// SIGTERM (`stop()`) is trapped from the first line on: the wrapper kills Qemu, reaps it and the
// watcher, then exits. Without the trap a SIGTERM that came before the watcher was started ended
// the wrapper alone and left Qemu running (4 of 40 quick stops here). `$!` names Qemu while `q` is
// not yet set.
export const QEMU_WRAPPER = [
  'trap \'[ -n "$q" ] || q=$!; [ -z "$q" ] || { kill $q 2>/dev/null; wait $q; }; [ -z "$w" ] || kill $w 2>/dev/null; exit 143\' TERM',
  'exec 3<&0',
  '"$@" </dev/null 3<&- &',
  'q=$!',
  '( cat <&3 >/dev/null; kill $q 2>/dev/null ) &',
  'w=$!',
  'wait $q',
  'rc=$?',
  'kill $w 2>/dev/null',
  'exit $rc',
].join('\n');

/** The Qemu binary to run: `override`, else PVBLK_QEMU, else qemu-system-x86_64 on PATH. */
export function qemuBinary(override?: string): string {
  return override || process.env.PVBLK_QEMU || QEMU;
}

/** Qemu's version line (e.g. "QEMU emulator version 7.2.19 (Debian 1:7.2+dfsg-7+deb12u18)"), or null when it does not run. */
export function qemuVersion(bin = qemuBinary()): string | null {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return r.status === 0 ? (r.stdout.split('\n')[0]?.trim() ?? '') : null;
}

export function qemuAvailable(bin = qemuBinary()): boolean {
  return qemuVersion(bin) !== null;
}

export function requireQemu(bin = qemuBinary()): void {
  if (!qemuAvailable(bin)) throw new KernelRefusal(`${bin} not found; ${KERNEL_APT_HINT}`);
}

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

function kvmOpens(): boolean {
  try {
    closeSync(openSync('/dev/kvm', 'r+'));
    return true;
  } catch {
    return false;
  }
}

/** Does a KVM guest print its first kernel line within a few seconds? */
async function kvmBoots(image: string, bin: string): Promise<boolean> {
  return new Promise((resolve) => {
    const p = spawn(
      bin,
      [
        '-accel',
        'kvm',
        '-machine',
        'q35',
        '-m',
        '256',
        '-nodefaults',
        '-display',
        'none',
        '-no-reboot',
        '-serial',
        'stdio',
        '-kernel',
        image,
        '-append',
        'console=ttyS0 earlyprintk=serial panic=-1',
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let out = '';
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      p.kill('SIGKILL');
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), 8000);
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString('latin1');
      if (out.includes('Linux version')) finish(true);
    });
    p.on('exit', () => finish(false));
    p.on('error', () => finish(false));
  });
}

export type Accel = 'kvm' | 'tcg';

/**
 * The acceleration as far as it is known without starting a guest: forced by PVBLK_KERNEL_ACCEL,
 * no /dev/kvm, a /dev/kvm that does not open, or this host boot's cached probe; null when only a
 * probe (a KVM guest printing its first line) can tell.
 */
export function knownAccel(cache: string): { accel: Accel; why: string } | null {
  const forced = process.env.PVBLK_KERNEL_ACCEL;
  if (forced === 'kvm' || forced === 'tcg') return { accel: forced, why: 'PVBLK_KERNEL_ACCEL' };
  if (!existsSync('/dev/kvm')) return { accel: 'tcg', why: 'no /dev/kvm' };
  if (!kvmOpens()) return { accel: 'tcg', why: '/dev/kvm cannot be opened' };
  const f = join(cache, `kvm-${bootId()}.json`);
  if (!existsSync(f)) return null;
  try {
    const v = JSON.parse(readFileSync(f, 'utf8')) as { ok: boolean };
    return v.ok
      ? { accel: 'kvm', why: '/dev/kvm works (probed at this boot)' }
      : { accel: 'tcg', why: '/dev/kvm opens but a KVM guest does not run (probed at this boot)' };
  } catch {
    return null; // probe again
  }
}

export async function chooseAccel(
  image: string,
  cache: string,
  bin = qemuBinary(),
): Promise<{ accel: Accel; why: string }> {
  const known = knownAccel(cache);
  if (known) return known;
  mkdirSync(cache, { recursive: true });
  const ok = await kvmBoots(image, bin);
  writeFileSync(join(cache, `kvm-${bootId()}.json`), JSON.stringify({ ok }));
  return ok
    ? { accel: 'kvm', why: '/dev/kvm works' }
    : { accel: 'tcg', why: '/dev/kvm opens but a KVM guest does not run' };
}

export interface GuestOptions {
  image: string;
  initrd: string;
  nbdPort: number;
  exportName: string;
  resultsDisk: string;
  accel: Accel;
  vcpus: number;
  memMb?: number;
  /** The Qemu binary (qemuBinary()). */
  qemu?: string;
  /** Each console line as it arrives. */
  onLine?: (line: string) => void;
}

export class Guest {
  readonly proc: ChildProcess;
  readonly lines: string[] = [];
  private partial = '';
  readonly exited: Promise<number | null>;

  constructor(o: GuestOptions) {
    const accel = o.accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg,thread=multi'];
    const args = [
      ...accel,
      '-machine',
      'q35',
      '-smp',
      String(o.vcpus),
      '-m',
      String(o.memMb ?? 1024),
      '-nodefaults',
      '-display',
      'none',
      '-no-reboot',
      '-serial',
      'stdio',
      '-kernel',
      o.image,
      '-initrd',
      o.initrd,
      '-append',
      'console=ttyS0 quiet loglevel=3 panic=-1 rdinit=/init',
      '-blockdev',
      `driver=nbd,server.type=inet,server.host=127.0.0.1,server.port=${o.nbdPort},export=${o.exportName},node-name=pvblk-nbd,cache.direct=on`,
      '-device',
      'virtio-blk-pci,drive=pvblk-nbd,num-queues=1',
      '-blockdev',
      `driver=file,filename=${o.resultsDisk},node-name=pvblk-out-file`,
      '-blockdev',
      'driver=raw,file=pvblk-out-file,node-name=pvblk-out',
      '-device',
      'virtio-blk-pci,drive=pvblk-out',
    ];
    this.proc = spawn('sh', ['-c', QEMU_WRAPPER, 'pvblk-qemu', qemuBinary(o.qemu), ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const take = (d: Buffer) => {
      const text = this.partial + d.toString('latin1');
      const parts = text.split(/\r?\n/);
      this.partial = parts.pop() ?? '';
      for (const raw of parts) {
        // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escapes from the firmware
        const line = raw.replace(/\x1b\[[0-9;?]*[a-zA-Z]|\x1bc/g, '').trimEnd();
        if (!line) continue;
        this.lines.push(line);
        if (this.lines.length > 2000) this.lines.splice(0, 1000);
        o.onLine?.(line);
      }
    };
    this.proc.stdout?.on('data', take);
    this.proc.stderr?.on('data', take);
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code) => resolve(code));
      this.proc.on('error', () => resolve(null));
    });
  }

  /** The last `n` console lines. */
  tail(n = 15): string {
    const p = this.partial.trim();
    return [...this.lines.slice(-n), ...(p ? [p] : [])].join('\n');
  }

  /** Kill Qemu (through the wrapper's stdin and directly). */
  stop(): void {
    try {
      this.proc.stdin?.end();
    } catch {
      // already closed
    }
    if (this.proc.exitCode === null) this.proc.kill('SIGTERM');
  }
}
