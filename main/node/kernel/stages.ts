/**
 * The stages of one kernel run, in order: the kernel package (fetched once, then cached), the
 * initramfs, Qemu booting, the guest's own stages (its PVBLK-STAGE console lines, guest-script.ts:
 * init, scheduler, cgroups, calibration, calibration-queued, start, running, collect), then the
 * comparison simulation.
 * With a label for the user and where in the run each starts (0..1, for a progress bar: booting
 * under TCG takes about as long as a short run).
 */
export const KERNEL_STAGES = [
  'kernel-package',
  'initramfs',
  'boot',
  'init',
  'scheduler',
  'cgroups',
  'calibration',
  'calibration-queued',
  'start',
  'running',
  'collect',
  'simulate',
] as const;
export type KernelStage = (typeof KERNEL_STAGES)[number];

export const KERNEL_STAGE_LABEL: Record<KernelStage, string> = {
  'kernel-package': 'preparing the kernel package',
  initramfs: 'building the initramfs',
  boot: 'booting Linux in QEMU',
  init: 'guest: loading modules',
  scheduler: 'guest: setting the I/O scheduler and its tunables',
  cgroups: 'guest: creating the cgroups',
  calibration: 'guest: calibrating the per-request overhead',
  'calibration-queued': 'guest: calibrating the dispatch gap',
  start: 'guest: starting the workload',
  running: 'guest: running the workload',
  collect: 'guest: collecting the results',
  simulate: 'simulating the comparison run',
};

export const KERNEL_STAGE_FRACTION: Record<KernelStage, number> = {
  'kernel-package': 0,
  initramfs: 0.02,
  boot: 0.05,
  init: 0.3,
  scheduler: 0.33,
  cgroups: 0.35,
  calibration: 0.38,
  'calibration-queued': 0.42,
  start: 0.45,
  running: 0.5,
  collect: 0.9,
  simulate: 0.95,
};

/** Is `s` a stage the guest reports on its console? */
export function isGuestStage(s: string): s is KernelStage {
  return KERNEL_STAGES.indexOf(s as KernelStage) >= KERNEL_STAGES.indexOf('init');
}
