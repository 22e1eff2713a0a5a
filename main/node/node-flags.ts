/**
 * The V8 flags a simulation's Node process starts with: one background thread per isolate for each
 * optimising compiler (TurboFan, Maglev) and for concurrent marking, instead of V8's default of as
 * many as Node's platform pool holds (four threads). A simulation is one busy thread; on a machine
 * with few cores the compiler threads that optimise its code during the first ~20 k requests took
 * that thread's core from it (a 2-core machine: main thread at half speed during warm-up). Measured
 * side by side on the 2-core development machine (docs/performance.md): paper-fairness vpid 60 s
 * 1.14×, the 1 M-request QD1 runs and the 1 h run 1.05×; the results are the same numbers (flags
 * change when code is compiled, never what it computes). Per isolate, so a matrix of N worker
 * threads still compiles on up to N threads.
 *
 * The `pvblk` command carries them in its first line (`#!/usr/bin/env -S node FLAGS`, which npm's
 * Windows shims read too); `npm start` (browser mode and the Electron main process, as --js-flags),
 * the Slurm batch scripts and the benchmark pass them the same way. A test checks the first line.
 */
export const ENGINE_NODE_FLAGS: readonly string[] = [
  '--concurrent-turbofan-max-threads=1',
  '--concurrent-maglev-max-threads=1',
  '--concurrent-marking-max-worker-num=1',
];

/** The shebang of bin/pvblk.mjs that carries ENGINE_NODE_FLAGS. */
export const PVBLK_SHEBANG = `#!/usr/bin/env -S node ${ENGINE_NODE_FLAGS.join(' ')}`;
