// Generates docs/performance.md: the engine's speed and memory figures from the last
// `npm run bench` (out/bench/engine.json) and a CPU profile taken now (node --cpu-prof) of the QD1
// cheetah-9lp case and of paper-fairness vpid under cfq. Usage: npm run docs:perf
// (runs the engine part of the bench first).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const benchFile = join(root, 'out', 'bench', 'engine.json');
if (!existsSync(benchFile)) {
  console.error('gen-perf-docs: out/bench/engine.json missing; run `npm run bench` first');
  process.exit(1);
}
const bench = JSON.parse(readFileSync(benchFile, 'utf8'));
const flags = bench.flags ?? [];

/**
 * The source module (main/engine/...) of a line of a bundle chunk: the bundler marks each module's
 * start with a `// main/...` comment line. Chunk file name when there is none.
 */
const moduleMarks = new Map();
function moduleOf(url, line) {
  const file = url.split('/').pop();
  if (!url.startsWith('file:')) return "Node's own modules";
  if (!file.endsWith('.js')) return file;
  if (!moduleMarks.has(url)) {
    const marks = [];
    readFileSync(fileURLToPath(url), 'utf8')
      .split('\n')
      .forEach((l, i) => {
        const m = /^\/\/ (main\/\S+)/.exec(l);
        if (m) marks.push([i, m[1]]);
      });
    moduleMarks.set(url, marks);
  }
  let found = file.replace(/-[\w-]{8}\.js$/, '.js');
  for (const [i, m] of moduleMarks.get(url)) {
    if (i > line) break;
    found = m;
  }
  return found;
}

/**
 * Self time of one case (top `n`), as percentages of the profile: per function, or per source
 * module (`byModule`); `nodeFlags` instead of the engine's flags.
 */
function profile(spec, n = 14, { byModule = false, nodeFlags = flags } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'pvblk-prof-'));
  try {
    const caseFile = join(dir, 'case.json');
    writeFileSync(caseFile, JSON.stringify({ spec }));
    execFileSync(
      process.execPath,
      [
        ...nodeFlags,
        '--cpu-prof',
        '--cpu-prof-dir',
        dir,
        join(root, 'scripts', 'bench-case.mjs'),
        join(root, 'out', 'main', 'bench-engine.js'),
        caseFile,
      ],
      { stdio: 'ignore' },
    );
    const f = readdirSync(dir).find((x) => x.endsWith('.cpuprofile'));
    const p = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    const byId = new Map(p.nodes.map((x) => [x.id, x]));
    const self = new Map();
    let total = 0;
    p.samples.forEach((id, i) => {
      const dt = p.timeDeltas[i] ?? 0;
      const cf = byId.get(id).callFrame;
      const file = cf.url
        .split('/')
        .pop()
        .replace(/-[\w-]{8}\.js$/, '.js');
      const key = !cf.url
        ? cf.functionName
        : byModule
          ? moduleOf(cf.url, cf.lineNumber)
          : `${cf.functionName || '(anonymous)'} (${file})`;
      self.set(key, (self.get(key) ?? 0) + dt);
      total += dt;
    });
    return [...self]
      .filter(([k]) => k !== '(idle)' && k !== '(program)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, t]) => `| ${((100 * t) / total).toFixed(1)} | \`${k}\` |`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const qd1 = {
  name: 'profile-qd1',
  seed: 11,
  duration_s: 3000,
  warmup_s: 1,
  disk: { preset: 'cheetah-9lp' },
  host: { scheduler: 'noop' },
  native: [{ name: 'rand', op: 'read', pattern: 'random', block_kb: 4, iodepth: 1 }],
};
const fairness = { preset: 'paper-fairness', mapping: 'vpid', duration_s: 600 };
const fairness60 = { ...fairness, duration_s: 60 };
/** V8's interpreter alone, none of its compilers. */
const INTERPRETER_ONLY = ['--no-sparkplug', '--no-maglev', '--no-turbofan'];

const k = (x) => `${Math.round(x / 1000)}k`;
const rows = bench.results.map((r) => {
  const old = r.old;
  return `| ${r.name} | ${r.new.requests.toLocaleString('en')} | ${k(r.new.rate_median)} (${k(r.new.rate_min)}–${k(r.new.rate_max)}) | ${
    r.goal
      ? `${k(r.goal)}: ${r.new.rate_median >= r.goal ? 'met' : 'not met'}`
      : r.goalNote
        ? '– (warm-up, see below)'
        : ''
  } | ${r.new.peak_rss_mb.toFixed(0)} | ${r.plain ? k(r.plain.rate_median) : '–'} | ${old ? `${k(old.rate_median)}` : '–'} | ${old ? old.peak_rss_mb.toFixed(0) : '–'} | ${
    old ? `${(r.new.rate_median / old.rate_median).toFixed(2)}×` : '–'
  } |`;
});
const mem = Object.fromEntries(bench.results.filter((r) => r.memory).map((r) => [r.memory, r]));
const growth = (v) =>
  mem[1] && mem[16] && mem[1][v]
    ? `${((mem[16][v].peak_rss_mb / mem[1][v].peak_rss_mb - 1) * 100).toFixed(1)} %`
    : '–';
const st = bench.startup;
const startLine = st
  ? (() => {
      const beyond = (ms) =>
        `${ms.toFixed(0)} ms wall, ${(ms - st.node_ms).toFixed(0)} ms beyond \`node -e 0\` (${st.node_ms.toFixed(0)} ms)`;
      const ratio = (ms) =>
        st.old_ms !== null && st.old_ms !== undefined
          ? `: ratio ${((ms - st.node_ms) / (st.old_ms - st.node_ms)).toFixed(2)}`
          : '';
      const rss = (mb) => (mb === null || mb === undefined ? '' : `, peak RSS ${mb.toFixed(0)} MiB`);
      let line = `A one-second run (\`pvblk run --preset native-random-fifo --duration 1 --json\`), median of 11 alternating runs: ${beyond(st.new_ms)}${rss(st.new_rss_mb)}${ratio(st.new_ms)}`;
      if (st.new_cold_ms !== null && st.new_cold_ms !== undefined)
        line += ` with Node's compile cache warm (bin/pvblk.mjs enables it; filled by the first run of a build); with the cache emptied before each run ${beyond(st.new_cold_ms)}${rss(st.new_cold_rss_mb)}${ratio(st.new_cold_ms)}`;
      if (st.old_ms !== null && st.old_ms !== undefined)
        line += `; the previous version ${st.old_ms.toFixed(0)} ms, ${(st.old_ms - st.node_ms).toFixed(0)} ms beyond node${rss(st.old_rss_mb)} (ratios beyond node)`;
      return `${line}.`;
    })()
  : 'Not measured in the last bench run.';

/** Runs `args` under Node with `nodeFlags`; its stdout. */
const node = (nodeFlags, args) =>
  execFileSync(process.execPath, [...nodeFlags, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
const median = (xs) => {
  const a = [...xs].sort((x, y) => x - y);
  return a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
};

/**
 * The warm-up of paper-fairness vpid 60 s (scripts/bench-warmup.mjs): wall ms per 5 simulated
 * seconds (median of 5 runs), the main thread's CPU against wall, the compile work V8 did in the
 * background (one run with --trace-opt), and the same case in a process with one V8 background
 * thread (--v8-pool-size=1) against the engine's flags, alternating, and the case run four times in
 * one process (scripts/bench-repeat.mjs); the wall time a request per V8 tier.
 */
function warmup() {
  const dir = mkdtempSync(join(tmpdir(), 'pvblk-warm-'));
  try {
    const caseFile = join(dir, 'case.json');
    writeFileSync(caseFile, JSON.stringify({ spec: fairness60 }));
    const engine = join(root, 'out', 'main', 'bench-engine.js');
    const runs = [];
    for (let i = 0; i < 5; i++)
      runs.push(JSON.parse(node(flags, [join(root, 'scripts', 'bench-warmup.mjs'), engine, caseFile, '5'])));
    const steps = runs[0].steps.map((st, k) => ({
      t: st.t_s,
      wall: median(runs.map((r) => r.steps[k].wall_ms)),
      cpu: median(runs.map((r) => r.steps[k].cpu_ms)),
      requests: st.requests,
    }));
    const ctor = median(runs.map((r) => r.ctor_ms));
    const result = median(runs.map((r) => r.result_ms));
    const wall = steps.reduce((a, x) => a + x.wall, 0);
    const cpu = steps.reduce((a, x) => a + x.cpu, 0);
    const late = steps.filter((x) => x.t > 30);
    const steady = late.reduce((a, x) => a + x.requests, 0) / (late.reduce((a, x) => a + x.wall, 0) / 1000);
    const requests = steps.reduce((a, x) => a + x.requests, 0);
    // Background compile work: V8's --trace-opt lines end "took <prepare>, <execute>, <finalize> ms".
    const compile = { MAGLEV: [0, 0], TURBOFAN_JS: [0, 0] };
    const trace = node(
      [...flags, '--trace-opt'],
      [join(root, 'scripts', 'bench-case.mjs'), engine, caseFile],
    );
    for (const m of trace.matchAll(
      /completed compiling .*\(target (MAGLEV|TURBOFAN_JS)\).* took ([\d.]+), ([\d.]+), ([\d.]+) ms/g,
    )) {
      compile[m[1]][0]++;
      compile[m[1]][1] += Number(m[3]);
    }
    const rate = (f) => {
      const j = JSON.parse(node(f, [join(root, 'scripts', 'bench-case.mjs'), engine, caseFile]).trim());
      return j.requests / j.wall_s;
    };
    // Wall µs a request with V8's tiers limited by `f` (median of 3 runs).
    const usPerRequest = (f) => 1e6 / median([rate(f), rate(f), rate(f)]);
    const tiers = {
      interpreter: usPerRequest(INTERPRETER_ONLY),
      sparkplug: usPerRequest(['--no-maglev', '--no-turbofan']),
      engine: usPerRequest(flags),
    };
    const mine = [];
    const pool1 = [];
    for (let i = 0; i < 7; i++) {
      mine.push(rate(flags));
      pool1.push(rate([...flags, '--v8-pool-size=1']));
    }
    // A parallel matrix (paper-fairness: three runs on the CLI's worker pool), wall time.
    const cli = (f) => {
      const t0 = performance.now();
      node(f, [join(root, 'bin', 'pvblk.mjs'), 'run', '--preset', 'paper-fairness', '--json']);
      return performance.now() - t0;
    };
    const matrixMine = [];
    const matrixPool1 = [];
    for (let i = 0; i < 5; i++) {
      matrixMine.push(cli(flags));
      matrixPool1.push(cli([...flags, '--v8-pool-size=1']));
    }
    // The same run four times in one process: the later runs find the code compiled.
    const repeats = [];
    for (let i = 0; i < 5; i++)
      repeats.push(
        JSON.parse(node(flags, [join(root, 'scripts', 'bench-repeat.mjs'), engine, caseFile, '4'])),
      );
    const repeat = repeats[0].wall_s.map((_, j) => median(repeats.map((r) => r.wall_s[j])));
    return {
      tiers,
      repeat,
      repeatRequests: repeats[0].requests,
      matrix: median(matrixMine) / median(matrixPool1),
      steps,
      ctor,
      result,
      wall,
      cpu,
      steady,
      requests,
      compile,
      mine: median(mine),
      pool1: median(pool1),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const w = warmup();
const warmRows = w.steps
  .map(
    (x) =>
      `| ${x.t - 5}–${x.t} | ${x.requests.toLocaleString('en')} | ${x.wall.toFixed(1)} | ${Number.isNaN(x.cpu) ? '–' : x.cpu.toFixed(0)} | ${k((x.requests / x.wall) * 1000)} |`,
  )
  .join('\n');
const compileMs = w.compile.MAGLEV[1] + w.compile.TURBOFAN_JS[1];
const warmText = `paper-fairness vpid under cfq, 60 simulated seconds (${w.requests.toLocaleString('en')} requests completed, the 2 s
warm-up included), advanced 5 simulated seconds at a time (\`scripts/bench-warmup.mjs\`, median of 5
runs with the engine's flags): the constructor ${w.ctor.toFixed(1)} ms, the result ${w.result.toFixed(1)} ms, and

| simulated s | requests | wall ms | main thread CPU ms | req/s |
|---|---|---|---|---|
${warmRows}

The last 30 simulated seconds run at ${k(w.steady)} req/s; at that rate the whole run would take
${((w.requests / w.steady) * 1000).toFixed(0)} ms of its ${w.wall.toFixed(0)} ms. The rest is V8 compiling the simulation's code while it
runs: the first simulated seconds run in the interpreter and the baseline compiler's code, and in
one run V8 compiled ${w.compile.MAGLEV[0]} functions with Maglev (${w.compile.MAGLEV[1].toFixed(0)} ms of compile-thread time) and
${w.compile.TURBOFAN_JS[0]} with TurboFan (${w.compile.TURBOFAN_JS[1].toFixed(0)} ms): ${compileMs.toFixed(0)} ms of background compiling, ${((100 * compileMs) / w.wall).toFixed(0)} % of the run's
wall time, on the machine's other core. The main thread's CPU time (${Number.isNaN(w.cpu) ? '–' : w.cpu.toFixed(0)} ms of ${w.wall.toFixed(0)} ms wall;
the kernel counts it in 4 ms ticks, so single steps are coarse) says how long it waited for a core
while compile threads ran. A run this short is mostly warm-up: the 1 h case above runs at the
compiled rate. The same run repeated in one process (\`scripts/bench-repeat.mjs\`, four runs
of a new simulation each, medians of 5 processes) takes ${w.repeat.map((x, i) => `${(x * 1000).toFixed(0)} ms (${['first', 'second', 'third', 'fourth'][i]}, ${k(w.repeatRequests / x)} req/s)`).join(', ')}:
the first pays the warm-up, the later ones run code V8 compiled during the earlier ones. (V8's tiering flags — earlier Maglev or TurboFan, eager feedback, always-Sparkplug,
no Maglev, a smaller inlining budget — and a larger or smaller young generation (\`--min-semi-space-size\`, \`--max-semi-space-size\`) measured no better than ±5 % on this case, most worse.)

With one V8 background thread for the whole process (\`node --v8-pool-size=1\`: the compilers and
the garbage collector's helpers share it, and never take the simulation's core) this case runs at
${k(w.pool1)} req/s against ${k(w.mine)} with the engine's flags (${(w.pool1 / w.mine).toFixed(2)}×, medians of 7 alternating runs). \`pvblk\` does
not start with it: the pool is the process's, so a parallel matrix (the CLI's worker pool) would
compile every worker's code on that one thread. Here, with two workers, a three-run matrix
(\`pvblk run --preset paper-fairness\`) ran at ${w.matrix.toFixed(2)}× the speed with the engine's flags (medians of 5
alternating runs; 0.94× in an earlier measurement the same day); with N workers on a larger machine each
would wait for the others' compiles — not measured here, and the reason it is not the default.`;

const coldRows = profile(fairness60, 12, { byModule: true, nodeFlags: INTERPRETER_ONLY });

// Where issue #15's goals are measured, and what the 60 s row (no goal) says.
const byName = (part) => bench.results.find((r) => r.name.includes(part));
const f60 = byName('(60 s)');
const f1h = byName('(1 h)');
const goalsText = `The goals are issue #15's, each a rate over a long run as the issue measured them: the QD1
goals over about 1 M requests (its DiskSim comparison), the paper-fairness goal over 1 simulated
hour (${f1h ? f1h.new.requests.toLocaleString('en') : '–'} requests; the issue's baseline, 129k, was measured over 1 h). The 60 s row is
the same model over ${f60 ? f60.new.requests.toLocaleString('en') : '–'} requests, and most of its wall time is V8 compiling the
simulation's code while it runs (next section, "Warm-up"): in a fresh process, as the bench runs
it, ${f60 ? k(f60.new.rate_median) : '–'} req/s; once its code is compiled (the fourth run in one process),
${k(w.repeatRequests / w.repeat[w.repeat.length - 1])} req/s.`;

const doc = `# Engine performance

Generated by \`npm run docs:perf\` (scripts/gen-perf-docs.mjs) from the last \`npm run bench\` and a
profile taken when generating. Node ${bench.node}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}.
This version runs with the engine's V8 flags (${flags.map((f) => `\`${f}\``).join(', ') || 'none'}; \`npm start\`
and the Slurm scripts start Node with them, see below), the previous one as its CLI ran (Node's
defaults); the column "Node defaults" is this version without the flags, as the \`pvblk\` command
itself runs, measured in the same runs.
Each case ran ${bench.runs} times (the 1 h case 3, the memory cases 5, the previous version of the
memory cases once) in its own process, alternating with the previous engine version
(git ${bench.base ? bench.base.slice(0, 7) : '–'}, built from a temporary worktree). The machine is
shared with other jobs: read the ratios measured side by side, not the absolute figures alone.

## Speed and memory

| case | requests | simulated req/s, median (range) | goal | peak RSS MiB | Node defaults req/s | previous req/s | previous peak RSS MiB | speed ratio |
|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

${goalsText}

Peak RSS from 1× to 16× the simulated time (QD1 cheetah-9lp, default 250 ms sample interval):
${growth('new')} (goal: within 10 %); previous version ${growth('old')}.

What stays and what grows: the series is bounded (at most 2000 points whatever the length), the
dispatch trace is kept as records in one \`Float64Array\` and thinned evenly at its cap, and the
per-request objects (requests, units, service records, CFQ's request wrappers) are reused, so
little reaches the old generation and peak RSS does not follow the simulated time.

## Start-up

${startLine}

## Warm-up

${warmText}

## Where the time goes

Self time (% of the profile, idle excluded), QD1 random 4 KiB reads on cheetah-9lp under noop,
3000 simulated seconds:

| % | function (bundle chunk) |
|---|---|
${profile(qd1).join('\n')}

paper-fairness with vpid mapping under cfq, 600 simulated seconds:

| % | function (bundle chunk) |
|---|---|
${profile(fairness).join('\n')}

Before V8 compiles it: paper-fairness vpid under cfq, 60 simulated seconds, run by V8's
interpreter alone (\`--no-sparkplug --no-maglev --no-turbofan\`), self time by source module:

| % | module |
|---|---|
${coldRows.join('\n')}

Wall time a request of that run (median of 3): ${w.tiers.interpreter.toFixed(1)} µs in the interpreter alone,
${w.tiers.sparkplug.toFixed(1)} µs with the baseline compiler (Sparkplug) too, ${w.tiers.engine.toFixed(2)} µs as the bench runs it (all of
V8's tiers, the warm-up included). The interpreter's time is spread over the whole path of a
request — the schedulers, the disk model, the event core, the metrics — so the warm-up shrinks only
with less code run per request everywhere, not at one place.

## What makes it fast

- **Event core** (\`core/sim.ts\`): a binary heap of slot numbers in an \`Int32Array\`, each slot's time
  and sequence number in \`Float64Array\`s, freed slots reused. \`post\`/\`postAt\` schedule a function
  bound once (the disk's completion, a thread's next issue, Qemu's emulation delay, the queue's
  kick) and allocate nothing; only cancellable timers get a handle. Samples are scheduled one at a
  time under sequence numbers reserved at the start, so they run exactly where they ran when all
  were scheduled up front, and the heap stays a few entries deep.
- **Pending state as fields**: a workload thread keeps its outstanding I/Os in an array (each
  knows its slot), the host block layer finds a unit's submission in the unit itself; no Map per
  request.
- **noop** indexes its merge candidates only when a second request is queued (at queue depth 1
  nothing can merge) and counts per-context queue lengths when a sample asks.
- **Latency histograms** (\`metrics/histogram.ts\`): HdrHistogram's bucket layout and percentile
  rule, checked against hdr-histogram-js by a property test; reset, merge and percentiles scan
  only the indices recorded since the last reset; a VM's interval latency is merged into a
  reused recorder.
- **Bounded series** (\`common/series.ts\`, \`metrics/sample-store.ts\`): at most 2000 points per
  run, the newest 1000 at the sample interval, older ones merged pairwise (rates time-weighted,
  percentiles the larger, histograms summed; \`merged\` says how many intervals a point covers,
  the CSVs' \`interval_s\` column and the UI's status bar state it). The engine stores them as
  records in one \`Float64Array\` and merges records in place, so nothing long-lived is allocated
  per sample; a run straight to its result keeps no stream buffer.
- **Start-up**: the CLI imports each command's modules when the command runs, piscina only for
  parallel runs; the disk presets are built on first use, zod runs without its code generation
  (\`jitless\`), Node's module compile cache is on (bin/pvblk.mjs), Node's built-ins come through
  \`process.getBuiltinModule\` (an ES import of \`node:fs\` loads the streams modules), and the disk's
  set-up tables are filled on first use; the three-point seek fit's sums over all 120,000 cylinder
  distances of the built-in drive are kept as numbers (a test recomputes them bit for bit).
- **No boxed times**: a double handed to a call V8 does not inline, or stored into a field V8
  keeps tagged, is a new heap number. The disk model hands its times between steps in fields
  (\`dT\`, \`dArr\`, the walk's checkpoint); fields that hold times are declared with a double
  (\`core/time.ts\`), not as constructor parameter properties, which ES2022 class fields first
  define as undefined (the event core's timers were rearmed into a fresh heap number each time).
  A read-ahead stream settled to a time is not walked again to the same time.
- **No recompilation in the middle of a run**: V8 throws optimised code away when an object's
  field changes representation (simulated nanoseconds pass 2^31, a small integer's limit, 2.1 s
  into a run: time fields start as doubles, \`core/time.ts\`), when a field it had folded as a
  constant is written again, or when a call it never saw made is reached (the traces' first
  thinning seconds into a run: one rare call from the 64th point on, \`metrics/thinned.ts\`).
- **One compiler thread per isolate** (\`main/node/node-flags.ts\`): V8 optimises a simulation's hot
  functions on background threads during its first ~20 k requests, by default on as many threads
  as Node's pool holds (four). On a machine with few cores those threads took the simulation's
  core. \`npm start\` and the Slurm scripts start Node with one TurboFan, one Maglev and one
  marking thread per isolate where its V8 knows the flags (V8 12, Node 22, on); the \`pvblk\`
  command starts with Node's defaults, since a flag an older V8 does not know stops Node before the
  CLI can say anything. The "Node defaults" column shows the difference (1.14× on paper-fairness
  60 s on a 2-core Intel machine once; within the noise on others).

Every optimisation keeps results byte-identical: \`node scripts/check-identical.mjs --save DIR\`
before a change and \`node scripts/check-identical.mjs DIR\` after it compare every preset and a
few extra specs through the CLI (long runs: the summaries; their series are bounded now).
`;
writeFileSync(join(root, 'docs', 'performance.md'), doc);
console.log('wrote docs/performance.md');
