/**
 * `pvblk real`: the spec's experiment against real files in a folder of the local disk
 * (main/node/real). Exit status: 0 success, 2 invalid spec/argument or a refusal (unsafe folder,
 * no O_DIRECT, no room, no cgroup v2 for vpid-group), 1 otherwise, 130 cancelled (Ctrl-C).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { SpecInput } from '../../common/spec/schema';
import { formatErrors, validateSpec } from '../../common/spec/validate';
import { EXPERIMENT_PRESETS, presetSpec } from '../../engine/presets/index';
import { type RealExperimentResult, RealRefusal, runReal } from '../real/index';
import { report } from './report';

export const REAL_HELP = `pvblk real [SPEC.json | --preset NAME] --dir DIR [--size-gb N] [--duration S] [--json] [--out FILE]
  Runs every run of the spec on real files in DIR (O_DIRECT, one process per VM, one OS thread per
  host context). Image/native files are capped at --size-gb GiB each (default 1), regions scaled.
  The host I/O scheduler is the device's current one; the lab never changes it.
`;

function fail(msg: string): number {
  process.stderr.write(`pvblk real: ${msg}\n`);
  return 2;
}

function realReport(res: RealExperimentResult): string {
  const lines = [report(res), ''];
  res.runs.forEach((r, i) => {
    const x = r.real;
    const label =
      Object.entries(r.params)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ') || '(single run)';
    lines.push(
      `real run ${i + 1} ${label}: device ${x.device ?? 'unknown'}${x.partition ? ` (${x.partition})` : ''}, ` +
        `scheduler ${x.scheduler ?? 'unknown'}, rotational ${x.rotational ?? 'unknown'}, dir ${x.dir}`,
    );
    lines.push(
      `  OS contexts: ${x.processes.map((p) => `${p.name} pid ${p.pid} × ${p.threads.length} thread(s)`).join('; ')}`,
    );
    lines.push(
      `  mean wait for the context thread ${x.mean_wait_ms} ms, mean pread/pwrite ${x.mean_call_ms} ms`,
    );
    for (const f of x.flags) lines.push(`  ! ${f}`);
  });
  return lines.join('\n');
}

export async function cmdReal(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      preset: { type: 'string' },
      dir: { type: 'string' },
      'size-gb': { type: 'string' },
      duration: { type: 'string' },
      json: { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(REAL_HELP);
    return 0;
  }
  if (positionals.length > 1) return fail(`expected one spec file, got ${positionals.length}`);
  if (positionals.length === 1 && values.preset) return fail('give a spec file or --preset, not both');
  if (!values.dir)
    return fail('--dir DIR is required (a folder on the disk to test; the lab writes only its own files)');
  let input: SpecInput;
  let source: string;
  if (values.preset) {
    if (!EXPERIMENT_PRESETS[values.preset])
      return fail(
        `--preset: unknown preset "${values.preset}" (known: ${Object.keys(EXPERIMENT_PRESETS).join(', ')})`,
      );
    input = presetSpec(values.preset);
    source = `preset ${values.preset}`;
  } else if (positionals.length === 1) {
    try {
      input = JSON.parse(readFileSync(positionals[0], 'utf8')) as SpecInput;
    } catch (e) {
      return fail(`${positionals[0]}: ${(e as Error).message}`);
    }
    source = positionals[0];
  } else return fail('give a spec file or --preset NAME');
  let sizeGb: number | undefined;
  if (values['size-gb'] !== undefined) {
    sizeGb = Number(values['size-gb']);
    if (!Number.isFinite(sizeGb) || sizeGb <= 0)
      return fail(`--size-gb: expected a positive number, got "${values['size-gb']}"`);
  }
  if (values.duration !== undefined) {
    const d = Number(values.duration);
    if (!Number.isFinite(d) || d <= 0)
      return fail(`--duration: expected a positive number, got "${values.duration}"`);
    if (input && typeof input === 'object') {
      input.duration_s = d;
      if (typeof input.warmup_s === 'number' && input.warmup_s >= d) input.warmup_s = d / 10;
    }
  }
  const v = validateSpec(input);
  if (!v.ok) {
    process.stderr.write(`${source}: invalid spec\n${formatErrors(v.errors).replace(/^/gm, '  ')}\n`);
    return 2;
  }
  const ac = new AbortController();
  const onSig = () => {
    if (!values.json) process.stderr.write('\npvblk real: stopping, removing files…\n');
    ac.abort();
  };
  process.on('SIGINT', onSig);
  process.on('SIGTERM', onSig);
  try {
    const result = await runReal(v.spec, {
      dir: values.dir,
      sizeGb,
      signal: ac.signal,
      onProgress: (m) => {
        if (!values.json) process.stderr.write(`${m}\n`);
      },
    });
    if (values.out) {
      const { writeBundle } = await import('../bundle/write');
      await writeBundle(values.out, v.spec, result);
      if (!values.json) process.stderr.write(`bundle written to ${values.out}\n`);
    }
    process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${realReport(result)}\n`);
    return 0;
  } catch (e) {
    if (e instanceof RealRefusal) return fail(e.message);
    if ((e as Error).name === 'AbortError') {
      process.stderr.write('pvblk real: cancelled; files removed\n');
      return 130;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
  }
}
