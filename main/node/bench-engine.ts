/**
 * The engine as a library for `npm run bench` (out/main/bench-engine.js): scripts/bench-case.mjs
 * imports it to run one case in its own process, and the bench builds the same entry from the
 * previous engine version's source to measure both in one run.
 */
export { parseSpec } from '../common/spec/validate';
export { presetSpec } from '../engine/presets/index';
export { Simulation } from '../engine/simulation';
