/**
 * Test helper: a result of kernel shape (`backend: "kernel"`, a `kernel` block per run as runKernel
 * writes it) made from a simulation's result, for tests of what carries kernel results (bundles,
 * the API, the UI's import). Its numbers are the simulation's: it tests the plumbing, not a kernel.
 */
import type { ExperimentResult } from '../../common/result';

/** The dispatch gap the kernel-shaped results simulated after the scheduler (µs). */
export const DISPATCH_US = 300;

/** The runs' simulated timing only: what kernelSimRuns needs to build the comparison simulation. */
export function overheadsOnly(
  header: Omit<ExperimentResult, 'runs'>,
  overheadUs: number[],
): ExperimentResult {
  return {
    ...header,
    runs: overheadUs.map((o) => ({ kernel: { sim_overhead_us: o, sim_dispatch_latency_us: DISPATCH_US } })),
  } as unknown as ExperimentResult;
}

/** `sim` as a kernel result whose run i measured `overheadUs[i]` µs per request; `mbpsFactor` scales its totals. */
export function kernelShaped(sim: ExperimentResult, overheadUs: number[], mbpsFactor = 1): ExperimentResult {
  const copy = JSON.parse(JSON.stringify(sim)) as ExperimentResult & Record<string, unknown>;
  copy.backend = 'kernel';
  copy.runs = copy.runs.map((run, i) => ({
    ...run,
    summary: { ...run.summary, total: { ...run.summary.total, mbps: run.summary.total.mbps * mbpsFactor } },
    kernel: {
      kernel: '6.1.0-57-amd64',
      kernel_source: 'Debian package linux-image-6.1.0-57-amd64',
      accel: 'tcg',
      accel_reason: 'no /dev/kvm',
      vcpus: 2,
      sysfs: { scheduler: 'mq-deadline [bfq] none', 'iosched.slice_idle': '8', 'iosched.low_latency': '1' },
      calibration: {
        requests: 700,
        mean_ms: overheadUs[i] / 1000,
        median_ms: 0.7,
        p90_ms: 1.1,
        service_ms: 0.5,
      },
      sim_overhead_us: overheadUs[i],
      sim_dispatch_latency_us: DISPATCH_US,
      disk: { busy_s: 1.6, requests: 900, late_p50_ms: 0.01 },
      guest_io_ticks_ms: 1700,
      flags: [],
      notes: ["the guest kernel plays the host: the spec's VMs are processes in it"],
      boot_s: 8.4,
    },
  }));
  return copy;
}
