// One benchmark case in its own process (so its peak RSS is its own): `npm run bench` runs it as
//   node scripts/bench-case.mjs ENGINE.js CASE.json
// where ENGINE.js is a build of main/node/bench-engine.ts (this tree's, or the previous engine
// version's) and CASE.json holds {"spec": <spec input>}, or {"spec": {"preset", "mapping",
// "duration_s"}} for a built-in experiment without its matrix, every VM on one mapping. Prints one JSON line: simulated requests,
// events, wall seconds of the simulation, and the process's peak RSS in MiB.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const [enginePath, casePath] = process.argv.slice(2);
const { Simulation, parseSpec, presetSpec } = await import(pathToFileURL(enginePath).href);
let { spec: input } = JSON.parse(readFileSync(casePath, 'utf8'));
if (input.preset) {
  const s = presetSpec(input.preset);
  delete s.matrix;
  s.duration_s = input.duration_s;
  for (const vm of s.vms ?? []) vm.mapping = input.mapping;
  input = s;
}
const spec = parseSpec(input);
const t0 = performance.now();
const sim = new Simulation(spec);
const res = sim.result();
const wall = (performance.now() - t0) / 1000;
process.stdout.write(
  `${JSON.stringify({
    requests: res.summary.total.ios,
    events: sim.events,
    wall_s: wall,
    samples: res.timeseries.samples.length,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
  })}\n`,
);
