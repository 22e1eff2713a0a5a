/**
 * What the UI's kernel backend shows before a run (api checkKernel): whether this machine can run
 * the spec under the kernel, cheaply — Qemu runs, fio and a static busybox exist, every run of the
 * matrix can be expressed in the guest (guest-plan.ts), and which kernel and acceleration a run
 * would use. Nothing is fetched or booted: the kernel package is fetched and KVM probed at the
 * first run. Every refusal is the message `pvblk kernel` prints (errors.ts, KERNEL_APT_HINT).
 */
import type { KernelCheck } from '../../common/api';
import type { Spec } from '../../common/spec/schema';
import { expandMatrix } from '../../common/spec/validate';
import { KernelRefusal } from './errors';
import { planGuest } from './guest-plan';
import { guestTools } from './initramfs';
import { cacheDir, cachedTrees, userKernel } from './kernel-package';
import { knownAccel, qemuBinary, qemuVersion, requireQemu } from './qemu';

export interface KernelCheckOptions {
  kernel?: string;
  modules?: string;
  qemu?: string;
}

/** Acceleration a run would use, as far as known without starting a guest (qemu.ts knownAccel). */
function accelGuess(): { short: string; why: string } {
  const known = knownAccel(cacheDir());
  return known
    ? { short: known.accel.toUpperCase(), why: known.why }
    : { short: 'KVM or TCG', why: '/dev/kvm opens: a KVM guest is tried at the first run, else TCG' };
}

export function checkKernel(spec: Spec, opts: KernelCheckOptions = {}): KernelCheck {
  try {
    // The spec first: what the guest cannot express is refused on any machine.
    const notes = new Set<string>();
    for (const r of expandMatrix(spec)) for (const n of planGuest(r.spec).notes) notes.add(n);
    const bin = qemuBinary(opts.qemu);
    requireQemu(bin);
    guestTools();
    let kernel: string;
    let kernelWhere: string;
    if (opts.kernel) {
      kernel = userKernel(opts.kernel, opts.modules).release;
      kernelWhere = `--kernel ${opts.kernel}`;
    } else {
      const trees = cachedTrees();
      kernel = trees.length ? trees[trees.length - 1].slice('tree-linux-image-'.length) : 'Debian 6.1';
      kernelWhere = trees.length
        ? `Debian package, cached in ${cacheDir()}`
        : 'Debian linux-image-amd64, fetched once with apt-get download at the first run';
    }
    const accel = accelGuess();
    return {
      ok: true,
      qemu: qemuVersion(bin) ?? bin,
      accel: accel.short,
      kernel,
      detail: [`QEMU: ${bin}`, `acceleration: ${accel.why}`, `kernel: ${kernelWhere}`],
      runs: expandMatrix(spec).length,
      notes: [...notes],
    };
  } catch (e) {
    if (e instanceof KernelRefusal) return { ok: false, error: e.message, spec: e.exitCode === 2 };
    return { ok: false, error: (e as Error).message, spec: false };
  }
}
