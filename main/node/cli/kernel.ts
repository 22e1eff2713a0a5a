/**
 * `pvblk kernel`: the spec's experiment under a real Linux kernel in QEMU whose disk is the lab's
 * disk model served over NBD (main/node/kernel), then the same spec simulated with the guest's
 * measured per-request overhead: a sim vs kernel table. Exit status: 0 success, 2 invalid
 * spec/argument or a spec the guest cannot express, 1 otherwise (no QEMU or kernel, boot failure,
 * hang, port in use), 130 cancelled.
 */

import { parseArgs } from 'node:util';
import { withDuration } from '../../common/spec/duration';
import type { SpecInput } from '../../common/spec/schema';
import { formatErrors, validateSpec } from '../../common/spec/validate';
import { KernelRefusal } from '../kernel/errors';
import { NbdPortInUse } from '../kernel/nbd-server';
import type { KernelExperimentResult } from '../kernel/run';
import { simVsRealReport } from './real';
import { paramLabel, report } from './report';
import { SpecArgError, specFromArgs } from './spec-args';

export const KERNEL_HELP = `pvblk kernel [SPEC.json | --preset NAME] [--json] [--out FILE] [--kernel PATH [--modules DIR]] [--vcpus N]
             [--duration S] [--port N] [--qemu PATH] [--verbose]
  Boots a Linux kernel in QEMU (KVM when it works, else TCG) whose disk is served over NBD by the
  lab's disk model in real time; the kernel's own scheduler orders the requests and the spec's
  threads run as fio processes in the guest. Then simulates the same spec with the measured guest
  overhead and prints a sim vs kernel table.
  --kernel PATH   a bzImage (with --modules DIR = lib/modules/RELEASE) or an unpacked kernel tree;
                  default: Debian's linux-image-6.1.0-*-amd64, fetched once with apt-get download
  --vcpus N       guest CPUs (default 2)        --port N  NBD port on 127.0.0.1 (default: any free)
  --qemu PATH     the Qemu binary (default: $PVBLK_QEMU, else qemu-system-x86_64 on PATH)
  --out FILE      a bundle: results-kernel.json the kernel result, results.json the comparison
                  simulation (pvblk replay re-simulates it; the UI's import shows both)
  --verbose       echo the guest's console
  Needs: apt-get install qemu-system-x86 busybox-static fio (see docs/kernel.md).
`;

function fail(msg: string, code = 2): number {
  process.stderr.write(`pvblk kernel: ${msg}\n`);
  return code;
}

function kernelReport(res: KernelExperimentResult): string {
  const lines = [report(res), ''];
  res.runs.forEach((r, i) => {
    const k = r.kernel;
    lines.push(
      `kernel run ${i + 1} ${paramLabel(r)}: Linux ${k.kernel}, ${k.accel.toUpperCase()} ${k.vcpus} vCPU, boot ${k.boot_s} s, ` +
        `scheduler ${k.sysfs.scheduler ?? '?'}`,
    );
    const tun = Object.entries(k.sysfs)
      .filter(([n]) => n.startsWith('iosched.') || n.startsWith('cgroup.'))
      .map(([n, v]) => `${n.replace(/^iosched\./, '')}=${v}`);
    if (tun.length) lines.push(`  read back: ${tun.join(' ')}`);
    lines.push(
      `  guest overhead: ${k.calibration.mean_ms} ms per request (median ${k.calibration.median_ms}, p90 ${k.calibration.p90_ms}; ` +
        `${k.calibration.requests} calibration requests); ` +
        (k.calibration_queued
          ? `dispatch gap ${k.calibration_queued.median_ms} ms (median of ${k.calibration_queued.requests}); `
          : '') +
        `simulated with ${k.sim_overhead_us} µs before the scheduler and ${k.sim_dispatch_latency_us ?? 0} µs after it`,
      `  disk (NBD log): busy ${k.disk.busy_s} s, ${k.disk.requests} requests, answers late by ${k.disk.late_p50_ms} ms median`,
    );
    for (const n of k.notes) lines.push(`  note: ${n}`);
    for (const f of k.flags) lines.push(`  ! ${f}`);
  });
  return lines.join('\n');
}

export async function cmdKernel(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      preset: { type: 'string' },
      json: { type: 'boolean', default: false },
      out: { type: 'string' },
      kernel: { type: 'string' },
      qemu: { type: 'string' },
      modules: { type: 'string' },
      vcpus: { type: 'string' },
      duration: { type: 'string' },
      port: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(KERNEL_HELP);
    return 0;
  }
  let input: SpecInput;
  let source: string;
  try {
    ({ input, source } = specFromArgs(positionals, values.preset));
  } catch (e) {
    if (e instanceof SpecArgError) return fail(e.message);
    throw e;
  }
  const intArg = (
    name: string,
    v: string | undefined,
    min: number,
    max: number,
  ): number | undefined | string => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      return `--${name}: expected an integer ${min}..${max}, got "${v}"`;
    return n;
  };
  const vcpus = intArg('vcpus', values.vcpus, 1, 64);
  if (typeof vcpus === 'string') return fail(vcpus);
  const port = intArg('port', values.port, 0, 65535);
  if (typeof port === 'string') return fail(port);
  if (values.duration !== undefined) {
    const d = Number(values.duration);
    if (!Number.isFinite(d) || d <= 0)
      return fail(`--duration: expected a positive number, got "${values.duration}"`);
    withDuration(input, d);
  }
  const v = validateSpec(input);
  if (!v.ok) {
    process.stderr.write(`${source}: invalid spec\n${formatErrors(v.errors).replace(/^/gm, '  ')}\n`);
    return 2;
  }
  const ac = new AbortController();
  const onSig = () => {
    if (!values.json) process.stderr.write('\npvblk kernel: stopping the guest…\n');
    ac.abort();
  };
  process.on('SIGINT', onSig);
  process.on('SIGTERM', onSig);
  try {
    const { runKernel } = await import('../kernel/run');
    const { sim, ...result } = await runKernel(v.spec, {
      kernel: values.kernel,
      modules: values.modules,
      qemu: values.qemu,
      vcpus,
      port,
      signal: ac.signal,
      onProgress: (m) => {
        if (!values.json) process.stderr.write(`${m}\n`);
      },
      onConsole: values.verbose ? (l) => process.stderr.write(`  | ${l}\n`) : undefined,
    });
    if (values.out) {
      const { writeBundle } = await import('../bundle/write');
      await writeBundle(values.out, v.spec, sim, { kernel: result });
      if (!values.json)
        process.stderr.write(
          `bundle written to ${values.out} (results-kernel.json: the kernel result; results.json: the comparison simulation)\n`,
        );
    }
    process.stdout.write(
      values.json
        ? `${JSON.stringify({ ...result, simulated: sim })}\n`
        : `${kernelReport(result)}\n\n${simVsRealReport(sim, result, 'kernel')}`,
    );
    return 0;
  } catch (e) {
    if (e instanceof KernelRefusal) return fail(e.message, e.exitCode);
    if (e instanceof NbdPortInUse) return fail(e.message, 1);
    if ((e as Error).name === 'AbortError') {
      process.stderr.write('pvblk kernel: cancelled; guest stopped\n');
      return 130;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
  }
}
