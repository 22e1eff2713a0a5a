/**
 * `pvblk validate TRACE --format disksim-validate --disk PRESET [--json]`: replays a validation
 * trace closed-loop and prints the simulated and measured mean response times, both distributions
 * as a table, and the RMS horizontal distance between them as DiskSim's rms tool computes it.
 * Exit 0 on success, 2 on a bad argument or trace (message names the file, line and field).
 */
import { parseArgs } from 'node:util';
import { TRACE_FORMATS, type TraceFormat } from '../../common/spec/schema';
import type { ValidationReport } from '../../common/trace';
import { runValidation } from '../trace/validate';
import { fmt, table } from './table';

export function validationText(r: ValidationReport): string {
  const pct = (x: number) => (x * 100).toFixed(1);
  const published =
    r.published_rms_ms === null
      ? ''
      : ` (DiskSim 4.0 publishes ${r.published_rms_ms.toFixed(3)} ms for this drive)`;
  return [
    `${r.trace}: ${r.requests} requests replayed closed-loop on ${r.disk}`,
    '',
    table(
      ['', 'simulated', 'measured'],
      [['mean response ms', fmt(r.simulated_mean_ms, 3), fmt(r.measured_mean_ms, 3)]],
    ),
    '',
    `RMS horizontal distance between the distributions: ${r.rms_ms.toFixed(3)} ms${published}`,
    '',
    table(
      ['response ms', 'simulated %', 'measured %', 'simulated cdf %', 'measured cdf %'],
      r.bins.map((b) => [
        b.hi_ms === null ? `>= ${b.lo_ms}` : `${b.lo_ms}-${b.hi_ms}`,
        pct(b.simulated),
        pct(b.measured),
        pct(b.simulated_cdf),
        pct(b.measured_cdf),
      ]),
    ),
  ].join('\n');
}

export function cmdValidate(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string', default: 'disksim-validate' },
      disk: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1) {
    process.stderr.write(
      'pvblk validate: expected one trace file (pvblk validate TRACE --format F --disk PRESET)\n',
    );
    return 2;
  }
  if (!values.disk) {
    process.stderr.write('pvblk validate: --disk PRESET is required (pvblk presets lists the disks)\n');
    return 2;
  }
  if (!(TRACE_FORMATS as readonly string[]).includes(values.format)) {
    process.stderr.write(
      `pvblk validate: --format: expected one of ${TRACE_FORMATS.join(', ')}, got "${values.format}"\n`,
    );
    return 2;
  }
  const report = runValidation({
    file: positionals[0],
    format: values.format as TraceFormat,
    disk: values.disk,
  });
  process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : `${validationText(report)}\n`);
  return 0;
}
