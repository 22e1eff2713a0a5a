/**
 * The heap cap of a simulation worker thread (the CLI's pool in runner.ts, the UI session's in
 * session/manager.ts): half the machine's memory, at least 512 MiB, at most 8 GiB. A spec the user
 * let past the cost estimate (`--allow-large`) can then not take the machine: the worker alone
 * runs out of memory. PVBLK_WORKER_HEAP_MB sets another cap (MiB, e.g. for a machine shared by
 * several jobs).
 */
import { totalmem } from 'node:os';

export function workerHeapMb(env: NodeJS.ProcessEnv = process.env): number {
  const set = Number(env.PVBLK_WORKER_HEAP_MB);
  if (Number.isInteger(set) && set > 0) return set;
  return Math.max(512, Math.min(8192, Math.floor(totalmem() / 2 / 1024 ** 2)));
}
