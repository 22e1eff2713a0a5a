// What the benchmark's child processes share (scripts/bench-case.mjs, bench-warmup.mjs, and the
// start-up probe of bench.mjs): loading a case into an engine build, and the process's peak RSS.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/**
 * The engine build at `enginePath` (main/node/bench-engine.ts built, this tree's or the previous
 * version's) and the parsed spec of CASE.json: {"spec": <spec input>}, or {"spec": {"preset",
 * "mapping", "duration_s"}} for a built-in experiment without its matrix, every VM on one mapping.
 */
export async function loadCase(enginePath, casePath) {
  const engine = await import(pathToFileURL(enginePath).href);
  let { spec: input } = JSON.parse(readFileSync(casePath, 'utf8'));
  if (input.preset) {
    const s = engine.presetSpec(input.preset);
    delete s.matrix;
    s.duration_s = input.duration_s;
    for (const vm of s.vms ?? []) vm.mapping = input.mapping;
    input = s;
  }
  return { Simulation: engine.Simulation, spec: engine.parseSpec(input) };
}

/**
 * This process's peak RSS in MiB: VmHWM of /proc/self/status where there is one. Not
 * getrusage's maxRSS: on Linux a child starts with its parent's peak there (exec keeps the larger
 * of the two), so every case the benchmark spawned reported at least the benchmark's own 112 MiB.
 */
export function peakRssMb() {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}
