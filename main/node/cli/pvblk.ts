/**
 * `pvblk`: the lab from the command line (DESIGN.md "CLI").
 * Exit status: 0 success, 2 invalid spec or argument (message on stderr naming the field), 1 otherwise.
 */

import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { withDuration } from '../../common/spec/duration';
import type { DiskSpec } from '../../common/spec/schema';
import { ENGINE_VERSION } from '../../engine/version';
import { CliRefusal, systemErrorLine } from './refusal';
import { table } from './table';

// Each command loads what it needs when it runs (the spec schema, the engine, the worker pool),
// so `pvblk --help` or a one-second run does not pay for the rest at start-up.
const loadSpec = () => import('../../common/spec/validate');
const loadPresets = () => import('../../engine/presets/index');
const loadDisks = () => import('../../engine/disk/index');
const loadSpecArgs = () => import('./spec-args');

export const APP_VERSION = '0.1.0';

class UsageError extends Error {}

const HELP = `pvblk ${APP_VERSION} — PV Block Lab from the command line

Usage:
  pvblk run [SPEC.json | --preset NAME] [--json] [--seed N] [--duration S] [--jobs N] [--out FILE.pvblk.zip]
            [--allow-large]         run even when the estimated work or memory is over the limits
            [--trace-out F]         also write the simulated I/Os as F.iolog (fio iolog v3) and F.blkparse
  pvblk presets [--long] [--json]   list the built-in experiments and disks (--long: full descriptions)
  pvblk preset NAME                 print a built-in experiment's spec
  pvblk disk [DISK.json | --preset NAME] [--json | --spec]
                                    characterize a disk model (zones, media rate, seek curve);
                                    --spec: print its full model as JSON, to edit into a spec's disk
  pvblk serve [--port N]            serve the lab UI and its API on 127.0.0.1 (browser mode)
  pvblk replay FILE.pvblk.zip [--json] [--jobs N] [--allow-large]
                                    re-run a bundle and compare: 0 identical, 1 differences, 2 broken bundle
  pvblk real [SPEC.json | --preset NAME] --dir DIR [--size-gb N] [--duration S] [--json] [--out FILE] [--no-sim]
            [--allow-large]         run the experiment on real files in DIR (O_DIRECT; see docs/real-disk.md),
                                    then simulate it: a sim vs real table, and --out bundles both results
                                    (--no-sim: real only); runs this machine cannot do are reported as not run
  pvblk sweep ... | pvblk merge ...  sweeps beyond one machine (shards, Slurm): pvblk sweep --help
  pvblk validate TRACE [--format disksim-validate|msr-csv] --disk PRESET [--json]
                                    replay a validation trace closed-loop: simulated vs measured response
                                    times, both distributions, and DiskSim's RMS distance (docs/traces.md)
  pvblk kernel [SPEC.json | --preset NAME] [--json] [--out FILE] [--kernel PATH] [--vcpus N]
                                    run the experiment under a real Linux kernel in QEMU on the lab's disk
                                    model (NBD; see docs/kernel.md), then a sim vs kernel table
  pvblk --help | --version

Exit status: 0 success, 2 invalid spec or argument, 1 other failure.
`;

function positiveNumber(name: string, v: string | undefined, integer = false): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n)))
    throw new UsageError(
      `--${name}: expected a ${integer ? 'non-negative integer' : 'non-negative number'}, got "${v}"`,
    );
  return n;
}

async function cmdRun(argv: string[]): Promise<number> {
  const [
    { formatErrors, validateSpec },
    { specFromArgs },
    { runExperiment },
    { report },
    { checkSpecCost },
    { checkOutputPath },
    { checkTraces, resolveTracePaths },
  ] = await Promise.all([
    loadSpec(),
    loadSpecArgs(),
    import('../runner'),
    import('./report'),
    import('./guard'),
    import('./refusal'),
    import('../trace/provider'),
  ]);
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      preset: { type: 'string' },
      json: { type: 'boolean', default: false },
      seed: { type: 'string' },
      duration: { type: 'string' },
      jobs: { type: 'string' },
      out: { type: 'string' },
      'allow-large': { type: 'boolean', default: false },
      'trace-out': { type: 'string' },
    },
  });
  const { input, source } = specFromArgs(positionals, values.preset, 'run: ');
  if (!values.preset) resolveTracePaths(input, dirname(positionals[0]));
  const seed = positiveNumber('seed', values.seed, true);
  const duration = positiveNumber('duration', values.duration);
  const jobs = positiveNumber('jobs', values.jobs, true);
  if (input && typeof input === 'object') {
    if (seed !== undefined) input.seed = seed;
    if (duration !== undefined) {
      if (duration <= 0) throw new UsageError('--duration: must be positive');
      withDuration(input, duration);
    }
  }
  const v = validateSpec(input);
  if (!v.ok) {
    process.stderr.write(`${source}: invalid spec\n${formatErrors(v.errors).replace(/^/gm, '  ')}\n`);
    return 2;
  }
  checkSpecCost(v.spec, source, values['allow-large']);
  if (values.out) checkOutputPath(values.out);
  checkTraces(v.spec);
  const traceOut = values['trace-out'];
  const result = traceOut
    ? (await import('../trace/export')).runWithTraceOut(v.spec, traceOut)
    : await runExperiment(v.spec, { jobs: jobs === 0 ? undefined : jobs });
  if (values.out) {
    const { writeBundle } = await import('../bundle/write');
    await writeBundle(values.out, v.spec, result);
    if (!values.json) process.stderr.write(`bundle written to ${values.out}\n`);
  }
  process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${report(result)}\n`);
  return 0;
}

/** The start of a description, to its first clause, at most `max` characters (a word boundary). */
export function shortText(text: string, max = 56): string {
  const cut = text.split(/: |; |\. /)[0].trim();
  if (cut.length <= max) return cut;
  const at = cut.lastIndexOf(' ', max - 1);
  return `${cut.slice(0, at > 0 ? at : max - 1)}…`;
}

/** A disk preset's capacity as `N GiB` (binary, as the spec's sizes). */
function diskCapacity(disks: typeof import('../../engine/disk/index'), name: string): string {
  const { characterizeDisk, resolveDiskSpec } = disks;
  try {
    const gib = characterizeDisk(resolveDiskSpec({ preset: name })).capacity_gb;
    return `${gib >= 100 ? gib.toFixed(0) : gib >= 10 ? gib.toFixed(1) : gib.toFixed(2)} GiB`;
  } catch {
    return '-';
  }
}

async function cmdPresets(argv: string[]): Promise<number> {
  const [{ EXPERIMENT_PRESETS }, disks] = await Promise.all([loadPresets(), loadDisks()]);
  const { DISK_PRESETS } = disks;
  const { values } = parseArgs({
    args: argv,
    options: { json: { type: 'boolean', default: false }, long: { type: 'boolean', default: false } },
  });
  if (values.json) {
    const list = Object.entries(EXPERIMENT_PRESETS).map(([name, p]) => ({
      name,
      title: p.title,
      description: p.description,
    }));
    const disks = Object.entries(DISK_PRESETS).map(([name, d]) => ({ name, description: d.description }));
    process.stdout.write(`${JSON.stringify({ experiments: list, disks }, null, 2)}\n`);
    return 0;
  }
  if (values.long) {
    const block = (name: string, title: string, text: string) =>
      `${name}${title ? ` — ${title}` : ''}\n${wrap(text, 92).replace(/^/gm, '    ')}`;
    process.stdout.write(
      `Experiments:\n\n${Object.entries(EXPERIMENT_PRESETS)
        .map(([n, p]) => block(n, p.title, p.description))
        .join('\n\n')}\n\nDisks:\n\n${Object.entries(DISK_PRESETS)
        .map(([n, d]) => block(`${n} (${diskCapacity(disks, n)})`, '', d.description))
        .join('\n\n')}\n`,
    );
    return 0;
  }
  process.stdout.write(
    `Experiments:\n${table(
      ['name', 'title'],
      Object.entries(EXPERIMENT_PRESETS).map(([n, p]) => [n, p.title]),
    )}\n\n` +
      `Disks:\n${table(
        ['name', 'capacity', 'description'],
        Object.entries(DISK_PRESETS).map(([n, d]) => [n, diskCapacity(disks, n), shortText(d.description)]),
      )}\n\npvblk presets --long: the full descriptions; pvblk disk --preset NAME: a disk's model.\n`,
  );
  return 0;
}

/** Greedy word wrap at `width` columns. */
function wrap(text: string, width: number): string {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(/\s+/)) {
    if (line && line.length + 1 + w.length > width) {
      out.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(line);
  return out.join('\n');
}

async function cmdPreset(argv: string[]): Promise<number> {
  const [{ ownValue }, { EXPERIMENT_PRESETS, presetSpec }] = await Promise.all([
    import('../../common/own'),
    loadPresets(),
  ]);
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
  if (positionals.length !== 1) throw new UsageError('preset: expected exactly one preset name');
  const name = positionals[0];
  if (!ownValue(EXPERIMENT_PRESETS, name))
    throw new UsageError(
      `preset: unknown preset "${name}" (known: ${Object.keys(EXPERIMENT_PRESETS).join(', ')})`,
    );
  process.stdout.write(`${JSON.stringify(presetSpec(name), null, 2)}\n`);
  return 0;
}

async function cmdDisk(argv: string[]): Promise<number> {
  const [
    { DiskSpecSchema },
    { formatErrors, formatZodIssues },
    { characterizeDisk, resolveDiskSpec },
    { readJsonFile },
    { diskSummary },
  ] = await Promise.all([
    import('../../common/spec/schema'),
    loadSpec(),
    loadDisks(),
    loadSpecArgs(),
    import('./disk-summary'),
  ]);
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      preset: { type: 'string' },
      json: { type: 'boolean', default: false },
      spec: { type: 'boolean', default: false },
    },
  });
  if (values.json && values.spec) throw new UsageError('disk: --json and --spec are alternatives');
  let spec: DiskSpec;
  if (values.preset) spec = { preset: values.preset };
  else if (positionals.length === 1) {
    const raw = readJsonFile(positionals[0]);
    const parsed = DiskSpecSchema.safeParse(raw);
    if (!parsed.success) {
      process.stderr.write(
        `${positionals[0]}: invalid disk\n${formatErrors(formatZodIssues(parsed.error, raw)).replace(/^/gm, '  ')}\n`,
      );
      return 2;
    }
    spec = parsed.data;
  } else spec = { preset: 'sata-7200' };
  let model: ReturnType<typeof resolveDiskSpec>;
  try {
    model = resolveDiskSpec(spec);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.spec) {
    process.stdout.write(`${JSON.stringify(model, null, 2)}\n`);
    return 0;
  }
  const c = characterizeDisk(model);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(c)}\n`);
    return 0;
  }
  process.stdout.write(diskSummary(c));
  return 0;
}

async function cmdServe(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { port: { type: 'string' } } });
  const port = positiveNumber('port', values.port, true);
  if (port !== undefined && port > 65535) throw new UsageError('--port: must be at most 65535');
  const { startServer } = await import('../serve/server');
  const server = await startServer({ port });
  process.stdout.write(`PV Block Lab (browser mode) at ${server.url}\n`);
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return new Promise<number>(() => {});
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(HELP);
        return cmd === undefined ? 2 : 0;
      case '--version':
      case '-V':
        process.stdout.write(`pvblk ${APP_VERSION} (engine ${ENGINE_VERSION})\n`);
        return 0;
      case 'run':
        return await cmdRun(rest);
      case 'presets':
        return await cmdPresets(rest);
      case 'preset':
        return await cmdPreset(rest);
      case 'disk':
        return await cmdDisk(rest);
      case 'serve':
        return await cmdServe(rest);
      case 'replay': {
        const { cmdReplay } = await import('./replay');
        return await cmdReplay(rest);
      }
      case 'sweep':
      case 'merge': {
        const { cmdMerge, cmdSweep, SWEEP_HELP } = await import('./sweep');
        if (rest.includes('--help') || rest.includes('-h')) {
          process.stdout.write(SWEEP_HELP);
          return 0;
        }
        return await (cmd === 'sweep' ? cmdSweep(rest) : cmdMerge(rest));
      }
      case 'validate': {
        const { cmdValidate } = await import('./validate');
        return cmdValidate(rest);
      }
      case 'real': {
        const { cmdReal } = await import('./real');
        return await cmdReal(rest);
      }
      case 'kernel': {
        const { cmdKernel } = await import('./kernel');
        return await cmdKernel(rest);
      }
      default:
        throw new UsageError(`unknown command "${cmd}" (try pvblk --help)`);
    }
  } catch (e) {
    const err = e as Error & { code?: string };
    if (
      e instanceof UsageError ||
      e instanceof CliRefusal ||
      err.name === 'ServeError' ||
      err.name === 'TraceFileError' ||
      err.name === 'SpecArgError' ||
      err.name === 'RunOutOfMemory' ||
      err.code?.startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`pvblk: ${err.message}\n`);
      return 2;
    }
    const line = systemErrorLine(e);
    if (line !== null) {
      process.stderr.write(`pvblk: ${line}\n`);
      return 2;
    }
    // A fault of the lab itself: one line; the stack only when asked for (PVBLK_DEBUG=1).
    process.stderr.write(
      `pvblk: internal error: ${process.env.PVBLK_DEBUG ? (err.stack ?? err.message) : (err.message ?? String(e))}\n`,
    );
    return 1;
  }
}
