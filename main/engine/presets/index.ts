/**
 * Built-in experiments. The two paper experiments are the shared example specs, verbatim; the
 * others go beyond them (BFQ, an aio thread pool, a late VM, mixed tenants, every scheduler).
 */
import { nullProto, ownValue } from '../../common/own';
import type { SpecInput } from '../../common/spec/schema';
import nativeRandomFifo from './data/native-random-fifo.json' with { type: 'json' };
import paperFairness from './data/paper-fairness.json' with { type: 'json' };
import paperThroughput from './data/paper-throughput.json' with { type: 'json' };

export interface ExperimentPreset {
  title: string;
  description: string;
  spec: SpecInput;
}

const withScheduler = (
  spec: SpecInput,
  name: string,
  scheduler: 'bfq',
  params: Record<string, number>,
): SpecInput => ({
  ...structuredClone(spec),
  name,
  host: { scheduler, params },
});

const seqReader = (name: string, count: number, size_gb = 4) => ({
  name,
  count,
  op: 'read' as const,
  pattern: 'sequential' as const,
  block_kb: 64,
  iodepth: 1,
  size_gb,
});

export const EXPERIMENT_PRESETS: Record<string, ExperimentPreset> = nullProto<ExperimentPreset>({
  'paper-fairness': {
    title: 'Fairness between two Qemu instances (CFQ)',
    description:
      'VM-A runs one sequential reader, VM-B four. With one queue per VM (vm) each VM gets about half the disk time, ' +
      "but VM-B's interleaved streams seek. With vpid every guest thread has its own host queue and VM-B takes ~4/5 " +
      'of the disk; vpid-group keeps the per-thread queues inside one weighted group per VM.',
    spec: paperFairness as SpecInput,
  },
  'paper-throughput': {
    title: 'Throughput gain of per-thread host queues (CFQ)',
    description:
      'One VM with four concurrent sequential readers. With one host queue per VM (vm) or an aio pool, CFQ cannot ' +
      'idle per stream and the disk seeks between the four regions; with vpid each stream gets its own queue, slice and idling.',
    spec: paperThroughput as SpecInput,
  },
  'paper-fairness-bfq': {
    title: 'Fairness between two Qemu instances (BFQ)',
    description:
      'The fairness experiment under BFQ: budgets in sectors, B-WF2Q+ and hierarchical group weights.',
    spec: withScheduler(paperFairness as SpecInput, 'paper-fairness-bfq', 'bfq', { slice_idle_ms: 8 }),
  },
  'paper-throughput-bfq': {
    title: 'Throughput gain of per-thread host queues (BFQ)',
    description: 'The throughput experiment under BFQ.',
    spec: withScheduler(paperThroughput as SpecInput, 'paper-throughput-bfq', 'bfq', { slice_idle_ms: 8 }),
  },
  'pool-vs-vm': {
    title: 'What an aio thread pool does to idling (CFQ)',
    description:
      "Qemu's thread pool issues each request from whichever worker is free, so the host sees contexts that change " +
      "from request to request: with one reader CFQ's per-process idling waits for a worker that will not send the " +
      'next request; with several, the workers turn seeky and preempt each other from the front of the service ' +
      "tree, so some readers starve (the threads table's 'waiting at end').",
    spec: {
      name: 'pool-vs-vm',
      seed: 1,
      duration_s: 20,
      warmup_s: 2,
      sample_interval_ms: 250,
      disk: { preset: 'sata-7200' },
      host: { scheduler: 'cfq', params: {} },
      vms: [
        {
          name: 'qemu-A',
          mapping: 'vm',
          pool_threads: 8,
          image: { offset_gb: 0, size_gb: 40 },
          threads: [seqReader('reader', 2, 4)],
        },
      ],
      matrix: { 'vms.*.mapping': ['vm', 'pool', 'vpid'], 'vms.*.threads.0.count': [1, 2, 4] },
    },
  },
  'late-vm': {
    title: 'A VM starting mid-run (fairness converging)',
    description:
      'qemu-A reads alone for 10 s; then qemu-B starts four readers. Watch the running Jain index and the disk-time ' +
      'shares converge under vm, vpid and vpid-group.',
    spec: {
      name: 'late-vm',
      seed: 1,
      duration_s: 40,
      warmup_s: 0,
      sample_interval_ms: 250,
      disk: { preset: 'sata-7200' },
      host: { scheduler: 'cfq', params: {} },
      vms: [
        {
          name: 'qemu-A',
          mapping: 'vpid-group',
          image: { offset_gb: 0, size_gb: 40 },
          threads: [seqReader('reader', 1)],
        },
        {
          name: 'qemu-B',
          mapping: 'vpid-group',
          start_s: 10,
          image: { offset_gb: 100, size_gb: 40 },
          threads: [seqReader('reader', 4)],
        },
      ],
      matrix: { 'vms.*.mapping': ['vm', 'vpid', 'vpid-group'] },
    },
  },
  'mixed-tenants': {
    title: 'A sequential tenant beside a random tenant',
    description:
      'qemu-A streams sequentially; qemu-B does random 4 KiB reads. CFQ idles for the sequential queue but not for the ' +
      'seeky one; compare how each mapping shares the disk time.',
    spec: {
      name: 'mixed-tenants',
      seed: 1,
      duration_s: 20,
      warmup_s: 2,
      sample_interval_ms: 250,
      disk: { preset: 'sata-7200' },
      host: { scheduler: 'cfq', params: {} },
      vms: [
        {
          name: 'qemu-A',
          mapping: 'vm',
          image: { offset_gb: 0, size_gb: 40 },
          threads: [seqReader('stream', 2)],
        },
        {
          name: 'qemu-B',
          mapping: 'vm',
          image: { offset_gb: 200, size_gb: 40 },
          threads: [
            { name: 'oltp', count: 2, op: 'read', pattern: 'random', block_kb: 4, iodepth: 1, size_gb: 20 },
          ],
        },
      ],
      matrix: { 'vms.*.mapping': ['vm', 'vpid', 'vpid-group'] },
    },
  },
  'schedulers-vm-vs-vpid': {
    title: 'Which host schedulers gain from virtual PIDs',
    description:
      'The throughput experiment (four sequential readers in one VM) under every host scheduler, with one host ' +
      'context per VM (vm) and one per guest thread (vpid). Only schedulers that keep per-process state and idle for ' +
      "a process's next request (anticipatory, cfq, bfq) can use the virtual PID; noop and deadline see the same " +
      'interleaved requests either way.',
    spec: {
      ...structuredClone(paperThroughput as SpecInput),
      name: 'schedulers-vm-vs-vpid',
      duration_s: 20,
      matrix: {
        'host.scheduler': ['noop', 'deadline', 'anticipatory', 'cfq', 'bfq'],
        'vms.*.mapping': ['vm', 'vpid'],
      },
    },
  },
  'native-random-fifo': {
    title: 'Random 4 KiB reads under FIFO (a disk baseline)',
    description:
      'One native process reading random 4 KiB blocks at queue depth 1 under noop: seek + rotation bound.',
    spec: nativeRandomFifo as SpecInput,
  },
});

export const DEFAULT_PRESET = 'paper-fairness';

export function presetSpec(name: string): SpecInput {
  const p = ownValue(EXPERIMENT_PRESETS, name);
  if (!p) throw new Error(`unknown preset "${name}" (known: ${Object.keys(EXPERIMENT_PRESETS).join(', ')})`);
  return structuredClone(p.spec);
}
