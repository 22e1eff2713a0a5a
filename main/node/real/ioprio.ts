/**
 * I/O priorities of the real run's host contexts, as the simulator gives them (layout contexts):
 * a `vpid`/`vpid-group` context or a native thread carries its guest/native thread's class and
 * level; `vm`, `pool` and `vpid-hash` contexts stay at Qemu's own default. The lab sets them on its
 * own I/O threads only (ioprio_set through util-linux's `ionice -p TID`, which applies to that one
 * thread), never on anything else. Whether they act depends on the device's scheduler (bfq: class
 * and level; mq-deadline since 5.14: the class, with prio aging; none, kyber: neither). RT needs
 * CAP_SYS_ADMIN: a refusal is reported as a flag, not hidden.
 */
import { execFileSync } from 'node:child_process';
import type { StackLayout } from '../../engine/stack/layout';

const CLASS_NUMBER = { rt: 1, be: 2, idle: 3 } as const;

export interface IoprioApplied {
  ctx: number;
  tid: number;
  class: 'rt' | 'be' | 'idle';
  level: number;
}

/** Set each context thread's I/O priority where the layout gives it one other than the default (BE 4). */
export function applyIoprio(
  layout: StackLayout,
  threads: { ctx: number; tid: number }[],
): { applied: IoprioApplied[]; failures: string[] } {
  const applied: IoprioApplied[] = [];
  const failures: string[] = [];
  const byId = new Map(layout.contexts.map((c) => [c.id, c]));
  // in context order (the I/O threads report ready in any order)
  for (const t of [...threads].sort((a, b) => a.ctx - b.ctx)) {
    const c = byId.get(t.ctx);
    if (!c || t.tid <= 0 || (c.ioprioClass === 'be' && c.ioprio === 4)) continue;
    const args = ['-c', String(CLASS_NUMBER[c.ioprioClass])];
    if (c.ioprioClass !== 'idle') args.push('-n', String(c.ioprio));
    try {
      execFileSync('ionice', [...args, '-p', String(t.tid)], {
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 5000,
      });
      applied.push({
        ctx: t.ctx,
        tid: t.tid,
        class: c.ioprioClass,
        level: c.ioprioClass === 'idle' ? 7 : c.ioprio,
      });
    } catch (e) {
      const err = e as { stderr?: Buffer; code?: string; message: string };
      const why =
        err.code === 'ENOENT'
          ? 'ionice (util-linux) is not installed'
          : err.stderr?.toString().trim() || err.message;
      failures.push(
        `${c.name} (tid ${t.tid}, ${c.ioprioClass}${c.ioprioClass === 'idle' ? '' : ` ${c.ioprio}`}): ${why}`,
      );
    }
  }
  return { applied, failures };
}

/** A thread's current I/O priority as `ionice -p` reports it (e.g. "idle", "best-effort: prio 4"), or null. */
export function readIoprio(tid: number): string | null {
  try {
    return execFileSync('ionice', ['-p', String(tid)], { encoding: 'utf8', timeout: 5000 }).trim();
  } catch {
    return null;
  }
}
