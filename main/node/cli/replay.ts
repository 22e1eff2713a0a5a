/**
 * `pvblk replay FILE.pvblk.zip [--json] [--jobs N]`: re-run a bundle's spec and compare with its
 * results. Exit 0 and "identical" when every number matches; 1 with the differences otherwise;
 * 2 when the bundle is broken or hostile (message on stderr naming the problem) or on bad arguments.
 */
import { parseArgs } from 'node:util';
import { BundleError } from '../bundle/read';
import { replayBundle } from '../bundle/replay';

export async function cmdReplay(argv: string[]): Promise<number> {
  let values: { json?: boolean; jobs?: string; 'allow-large'?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        jobs: { type: 'string' },
        'allow-large': { type: 'boolean', default: false },
      },
    }));
  } catch (e) {
    process.stderr.write(`pvblk replay: ${(e as Error).message}\n`);
    return 2;
  }
  if (positionals.length !== 1) {
    process.stderr.write(
      'pvblk replay: expected one bundle file (pvblk replay FILE.pvblk.zip [--json] [--jobs N] [--allow-large])\n',
    );
    return 2;
  }
  let jobs: number | undefined;
  if (values.jobs !== undefined) {
    const n = Number(values.jobs);
    if (!Number.isInteger(n) || n < 0) {
      process.stderr.write(`pvblk replay: --jobs: expected a non-negative integer, got "${values.jobs}"\n`);
      return 2;
    }
    jobs = n === 0 ? undefined : n;
  }
  const file = positionals[0];
  let report: Awaited<ReturnType<typeof replayBundle>>;
  try {
    report = await replayBundle(file, { jobs, allowLarge: values['allow-large'] });
  } catch (e) {
    if (e instanceof BundleError) {
      const msg = e.message.startsWith(file) ? e.message : `${file}: ${e.message}`;
      if (values.json) process.stdout.write(`${JSON.stringify({ error: e.code, message: msg })}\n`);
      process.stderr.write(`pvblk replay: ${msg}\n`);
      return 2;
    }
    throw e;
  }
  if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    if (report.engineVersionNote) process.stdout.write(`note: ${report.engineVersionNote}\n`);
    if (report.identical)
      process.stdout.write(`identical (${report.runs} run${report.runs === 1 ? '' : 's'})\n`);
    else
      process.stdout.write(
        `different: ${report.differenceCount} value${report.differenceCount === 1 ? '' : 's'} differ\n${report.differences.map((d) => `  ${d}`).join('\n')}\n`,
      );
  }
  return report.identical ? 0 : 1;
}
