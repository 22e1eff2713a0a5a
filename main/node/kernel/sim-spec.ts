/**
 * The comparison simulation of a kernel run: the guest plan's spec (cfq → bfq, guest-plan.ts) with
 * the guest's per-request overhead that the run's calibration measured, as `qemu_overhead_us` per
 * VM and added think time per native thread. `pvblk kernel` simulates it beside each kernel run;
 * replay and the UI's Verify re-simulate it from a bundle's kernel result (`kernel.sim_overhead_us`).
 */
import type { ExperimentResult } from '../../common/result';
import type { Spec } from '../../common/spec/schema';
import { type RunParams, runAt } from '../../common/spec/validate';
import { type GuestPlan, planGuest } from './guest-plan';

/** The spec the comparison simulates: the guest plan's with the calibrated overhead. */
export function simSpecFor(plan: GuestPlan, overheadUs: number): Spec {
  const s = structuredClone(plan.simSpec);
  for (const vm of s.vms) vm.qemu_overhead_us = overheadUs;
  for (const t of s.native) t.think_ms += overheadUs / 1000;
  return s;
}

/**
 * The comparison simulation's runs of a kernel result of `spec` (one per run of the matrix, in
 * order): each run's guest plan with the overhead its kernel run measured.
 */
export function kernelSimRuns(spec: Spec, kernel: ExperimentResult): { spec: Spec; params: RunParams }[] {
  return kernel.runs.map((run, i) => {
    const r = runAt(spec, i);
    const overheadUs = (run as { kernel?: { sim_overhead_us?: unknown } }).kernel?.sim_overhead_us;
    if (typeof overheadUs !== 'number') throw new Error(`runs[${i}].kernel.sim_overhead_us is missing`);
    return { spec: simSpecFor(planGuest(r.spec), overheadUs), params: r.params };
  });
}
