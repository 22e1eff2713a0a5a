import engineFlags from './engine-node-flags.json' with { type: 'json' };

/**
 * The V8 flags a simulation's Node process starts with: one background thread per isolate for each
 * optimising compiler (TurboFan, Maglev) and for concurrent marking, instead of V8's default of as
 * many as Node's platform pool holds (four threads). A simulation is one busy thread; on a machine
 * with few cores the compiler threads that optimise its code during the first ~20 k requests took
 * that thread's core from it (a 2-core machine: main thread at half speed during warm-up). Measured
 * side by side on a 2-core Intel development machine: paper-fairness vpid 60 s 1.14×, the
 * 1 M-request QD1 runs and the 1 h run 1.05×; on a 2-core AMD EPYC one no difference beyond the
 * noise (docs/performance.md, the "Node defaults" column); the results are the same numbers (flags
 * change when code is compiled, never what it computes). Per isolate, so a matrix of N worker
 * threads still compiles on up to N threads.
 *
 * Where they apply: processes the lab starts with a Node it knows — `npm start` (browser mode
 * restarts itself with them; Electron gets them as --js-flags), the Slurm batch scripts and the
 * benchmark (scripts/engine-flags.mjs reads the same list). The `pvblk` command itself starts with
 * Node's defaults (`#!/usr/bin/env node`): a V8 flag on Node's command line that its V8 does not
 * know stops Node before the CLI can say anything (Node 20's V8 11.3 lacks two of these), and a
 * process cannot safely set them for itself once V8 runs. They exist from V8 12 (Node 22) on.
 */
export const ENGINE_NODE_FLAGS: readonly string[] = engineFlags.flags;

/** The flags where `v8Version`'s V8 knows them (this process's by default), none on an older V8. */
export function engineNodeFlags(v8Version: string = process.versions.v8): readonly string[] {
  return Number.parseInt(v8Version, 10) >= engineFlags.min_v8_major ? ENGINE_NODE_FLAGS : [];
}
