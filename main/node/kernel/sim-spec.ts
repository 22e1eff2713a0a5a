/**
 * The comparison simulation of a kernel run: the guest plan's spec (cfq → bfq, guest-plan.ts) with
 * the guest's timing that the run's calibration measured: the dispatch gap as the host's
 * `dispatch_latency_us`, and the rest of the round trip before the scheduler (`qemu_overhead_us`
 * per VM, added think time per native thread). `pvblk kernel` simulates it beside each kernel run;
 * replay and the UI's Verify re-simulate it from a bundle's kernel result (`kernel.sim_overhead_us`
 * and `kernel.sim_dispatch_latency_us`).
 */
import type { ExperimentResult } from '../../common/result';
import type { Spec } from '../../common/spec/schema';
import { type RunParams, runAt } from '../../common/spec/validate';
import { type GuestPlan, planGuest } from './guest-plan';
import type { Calibration, QueuedCalibration } from './results';

/**
 * The spec the comparison simulates: the guest plan's (cfq → bfq) with the calibrated timing: the
 * dispatch gap as the host's `dispatch_latency_us`, and the rest of the round trip before the
 * scheduler (`qemu_overhead_us` of every VM, added to every native thread's `think_ms`).
 */
export function simSpecFor(plan: GuestPlan, overheadUs: number, dispatchUs = 0): Spec {
  const s = structuredClone(plan.simSpec);
  for (const vm of s.vms) vm.qemu_overhead_us = overheadUs;
  for (const t of s.native) t.think_ms += overheadUs / 1000;
  if (dispatchUs > 0) s.host.dispatch_latency_us = dispatchUs;
  return s;
}

/**
 * Split the measured round trip: the dispatch gap (queued stream, median) happens after the
 * scheduler; what remains of the depth-1 round trip (mean) before it. Without a queued measurement
 * the whole round trip stays before the scheduler.
 */
export function splitOverhead(
  cal: Calibration,
  calq: QueuedCalibration | null,
): { overheadUs: number; dispatchUs: number } {
  const roundTripUs = Math.round(cal.mean_ms * 1000);
  if (!calq || calq.requests === 0) return { overheadUs: roundTripUs, dispatchUs: 0 };
  const dispatchUs = Math.min(roundTripUs, Math.round(calq.median_ms * 1000));
  return { overheadUs: roundTripUs - dispatchUs, dispatchUs };
}

/**
 * The comparison simulation's runs of a kernel result of `spec` (one per run of the matrix, in
 * order): each run's guest plan with the timing its kernel run measured (a result of before the
 * dispatch gap was measured has no `sim_dispatch_latency_us`: 0, as it was simulated).
 */
export function kernelSimRuns(spec: Spec, kernel: ExperimentResult): { spec: Spec; params: RunParams }[] {
  return kernel.runs.map((run, i) => {
    const r = runAt(spec, i);
    const k = (run as { kernel?: { sim_overhead_us?: unknown; sim_dispatch_latency_us?: unknown } }).kernel;
    if (typeof k?.sim_overhead_us !== 'number')
      throw new Error(`runs[${i}].kernel.sim_overhead_us is missing`);
    const dispatchUs = typeof k.sim_dispatch_latency_us === 'number' ? k.sim_dispatch_latency_us : 0;
    return { spec: simSpecFor(planGuest(r.spec), k.sim_overhead_us, dispatchUs), params: r.params };
  });
}
