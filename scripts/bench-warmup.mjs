// The warm-up of one benchmark case, step by step (scripts/gen-perf-docs.mjs runs it for
// docs/performance.md):
//   node [FLAGS] scripts/bench-warmup.mjs ENGINE.js CASE.json STEP_S
// ENGINE.js and CASE.json as for scripts/bench-case.mjs. Runs the case with `advance` in steps of
// STEP_S simulated seconds and prints one JSON line: the constructor's and the result's wall ms,
// and for each step its wall ms, the main thread's CPU ms (process.threadCpuUsage: what the
// simulation's thread ran, as against time it waited for a core) and the requests it completed.
// The steps show how long V8 takes to compile the simulation's code (the first simulated seconds
// run unoptimised) and what a run costs once compiled.
import { performance } from 'node:perf_hooks';
import { loadCase } from './bench-load.mjs';

const [enginePath, casePath, stepArg] = process.argv.slice(2);
const step = Number(stepArg);
if (!enginePath || !casePath || !(step > 0)) {
  console.error('usage: node scripts/bench-warmup.mjs ENGINE.js CASE.json STEP_S');
  process.exit(2);
}
const { Simulation, spec } = await loadCase(enginePath, casePath);
const cpuMs = () => {
  const u = process.threadCpuUsage?.();
  return u ? (u.user + u.system) / 1000 : Number.NaN;
};
const completed = (sim) => sim.accounting().reduce((n, a) => n + a.completed, 0);

let t = performance.now();
const sim = new Simulation(spec);
const ctorMs = performance.now() - t;
const steps = [];
for (let k = 1; k * step <= spec.duration_s + 1e-9; k++) {
  const n0 = completed(sim);
  const c0 = cpuMs();
  t = performance.now();
  sim.advance(Math.min(k * step, spec.duration_s));
  const wall = performance.now() - t;
  steps.push({ t_s: k * step, wall_ms: wall, cpu_ms: cpuMs() - c0, requests: completed(sim) - n0 });
}
t = performance.now();
sim.result();
const resultMs = performance.now() - t;
process.stdout.write(`${JSON.stringify({ ctor_ms: ctorMs, result_ms: resultMs, steps })}\n`);
