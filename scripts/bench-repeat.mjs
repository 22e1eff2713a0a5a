// The same case run several times in one process (scripts/gen-perf-docs.mjs runs it for
// docs/performance.md, "Warm-up"):
//   node [FLAGS] scripts/bench-repeat.mjs ENGINE.js CASE.json N
// ENGINE.js and CASE.json as for scripts/bench-case.mjs. Each run is a new Simulation of the spec to
// its result, timed as bench-case times one; the first run pays V8's warm-up, the later ones run
// code V8 has already compiled. Prints one JSON line: the requests of a run and each run's wall
// seconds. Every run must give the same result: the requests are checked to be equal.
import { performance } from 'node:perf_hooks';
import { loadCase } from './bench-load.mjs';

const [enginePath, casePath, nArg] = process.argv.slice(2);
const n = Number(nArg);
if (!enginePath || !casePath || !(n >= 1)) {
  console.error('usage: node scripts/bench-repeat.mjs ENGINE.js CASE.json N');
  process.exit(2);
}
const { Simulation, spec } = await loadCase(enginePath, casePath);
const walls = [];
let requests = -1;
for (let i = 0; i < n; i++) {
  const t0 = performance.now();
  const res = new Simulation(spec).result();
  walls.push((performance.now() - t0) / 1000);
  if (requests >= 0 && res.summary.total.ios !== requests) {
    console.error(
      `bench-repeat: run ${i + 1} completed ${res.summary.total.ios} requests, run 1 ${requests}`,
    );
    process.exit(1);
  }
  requests = res.summary.total.ios;
}
process.stdout.write(`${JSON.stringify({ requests, wall_s: walls })}\n`);
