/**
 * `pvblk`: the lab from the command line (DESIGN.md "CLI").
 * Exit status: 0 success, 2 invalid spec or argument (message on stderr naming the field), 1 otherwise.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type DiskSpec, DiskSpecSchema, type SpecInput } from '../../common/spec/schema';
import { formatErrors, formatZodIssues, validateSpec } from '../../common/spec/validate';
import { characterizeDisk, DISK_PRESETS, resolveDiskSpec } from '../../engine/disk/index';
import { EXPERIMENT_PRESETS, presetSpec } from '../../engine/presets/index';
import { ENGINE_VERSION } from '../../engine/version';
import { runExperiment } from '../runner';
import { report } from './report';
import { table } from './table';

export const APP_VERSION = '0.1.0';

class UsageError extends Error {}

const HELP = `pvblk ${APP_VERSION} — PV Block Lab from the command line

Usage:
  pvblk run [SPEC.json | --preset NAME] [--json] [--seed N] [--duration S] [--jobs N] [--out FILE.pvblk.zip]
  pvblk presets [--json]            list the built-in experiments
  pvblk preset NAME                 print a built-in experiment's spec
  pvblk disk [DISK.json | --preset NAME] [--json]
                                    characterize a disk model (zones, media rate, seek curve)
  pvblk serve [--port N]            serve the lab UI and its API on 127.0.0.1 (browser mode)
  pvblk replay FILE.pvblk.zip [--json] [--jobs N]
                                    re-run a bundle and compare: 0 identical, 1 differences, 2 broken bundle
  pvblk real [SPEC.json | --preset NAME] --dir DIR [--size-gb N] [--duration S] [--json] [--out FILE] [--no-sim]
                                    run the experiment on real files in DIR (O_DIRECT; see docs/real-disk.md),
                                    then simulate it: a sim vs real table, and --out bundles both results
                                    (--no-sim: real only)
  pvblk kernel [SPEC.json | --preset NAME] [--json] [--out FILE] [--kernel PATH] [--vcpus N]
                                    run the experiment under a real Linux kernel in QEMU on the lab's disk
                                    model (NBD; see docs/kernel.md), then a sim vs kernel table
  pvblk --help | --version

Exit status: 0 success, 2 invalid spec or argument, 1 other failure.
`;

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(
      `${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

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
    },
  });
  if (positionals.length > 1) throw new UsageError(`run: expected one spec file, got ${positionals.length}`);
  if (positionals.length === 1 && values.preset)
    throw new UsageError('run: give a spec file or --preset, not both');
  let input: SpecInput;
  let source: string;
  if (values.preset) {
    if (!EXPERIMENT_PRESETS[values.preset])
      throw new UsageError(
        `--preset: unknown preset "${values.preset}" (known: ${Object.keys(EXPERIMENT_PRESETS).join(', ')})`,
      );
    input = presetSpec(values.preset);
    source = `preset ${values.preset}`;
  } else if (positionals.length === 1) {
    input = readJson(positionals[0]) as SpecInput;
    source = positionals[0];
  } else throw new UsageError('run: give a spec file or --preset NAME');
  const seed = positiveNumber('seed', values.seed, true);
  const duration = positiveNumber('duration', values.duration);
  const jobs = positiveNumber('jobs', values.jobs, true);
  if (input && typeof input === 'object') {
    if (seed !== undefined) input.seed = seed;
    if (duration !== undefined) {
      if (duration <= 0) throw new UsageError('--duration: must be positive');
      input.duration_s = duration;
      if (typeof input.warmup_s === 'number' && input.warmup_s >= duration) input.warmup_s = duration / 10;
    }
  }
  const v = validateSpec(input);
  if (!v.ok) {
    process.stderr.write(`${source}: invalid spec\n${formatErrors(v.errors).replace(/^/gm, '  ')}\n`);
    return 2;
  }
  const result = await runExperiment(v.spec, { jobs: jobs === 0 ? undefined : jobs });
  if (values.out) {
    const { writeBundle } = await import('../bundle/write');
    await writeBundle(values.out, v.spec, result);
    if (!values.json) process.stderr.write(`bundle written to ${values.out}\n`);
  }
  process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${report(result)}\n`);
  return 0;
}

function cmdPresets(argv: string[]): number {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean', default: false } } });
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
  process.stdout.write(
    `Experiments:\n${table(
      ['name', 'title'],
      Object.entries(EXPERIMENT_PRESETS).map(([n, p]) => [n, p.title]),
    )}\n\n` +
      `Disks:\n${table(
        ['name', 'description'],
        Object.entries(DISK_PRESETS).map(([n, d]) => [n, d.description]),
      )}\n`,
  );
  return 0;
}

function cmdPreset(argv: string[]): number {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
  if (positionals.length !== 1) throw new UsageError('preset: expected exactly one preset name');
  const name = positionals[0];
  if (!EXPERIMENT_PRESETS[name])
    throw new UsageError(
      `preset: unknown preset "${name}" (known: ${Object.keys(EXPERIMENT_PRESETS).join(', ')})`,
    );
  process.stdout.write(`${JSON.stringify(presetSpec(name), null, 2)}\n`);
  return 0;
}

function cmdDisk(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { preset: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  let spec: DiskSpec;
  if (values.preset) spec = { preset: values.preset };
  else if (positionals.length === 1) {
    const parsed = DiskSpecSchema.safeParse(readJson(positionals[0]));
    if (!parsed.success) {
      process.stderr.write(
        `${positionals[0]}: invalid disk\n${formatErrors(formatZodIssues(parsed.error)).replace(/^/gm, '  ')}\n`,
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
  const c = characterizeDisk(model);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(c)}\n`);
    return 0;
  }
  process.stdout.write(`${JSON.stringify(c, null, 2)}\n`);
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
        return cmdPresets(rest);
      case 'preset':
        return cmdPreset(rest);
      case 'disk':
        return cmdDisk(rest);
      case 'serve':
        return await cmdServe(rest);
      case 'replay': {
        const { cmdReplay } = await import('./replay');
        return await cmdReplay(rest);
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
    if (e instanceof UsageError || err.code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`pvblk: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`pvblk: ${err.stack ?? err.message}\n`);
    return 1;
  }
}
