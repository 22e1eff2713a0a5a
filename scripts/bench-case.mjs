// One benchmark case in its own process (so its peak RSS is its own): `npm run bench` runs it as
//   node scripts/bench-case.mjs ENGINE.js CASE.json
// (ENGINE.js and CASE.json: scripts/bench-load.mjs). Prints one JSON line: simulated requests,
// events, wall seconds of the simulation, and the process's peak RSS in MiB.
import { performance } from 'node:perf_hooks';
import { loadCase, peakRssMb } from './bench-load.mjs';

const [enginePath, casePath] = process.argv.slice(2);
const { Simulation, spec } = await loadCase(enginePath, casePath);
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
    peak_rss_mb: peakRssMb(),
  })}\n`,
);
