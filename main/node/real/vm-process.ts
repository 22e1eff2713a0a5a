/**
 * A VM process (the Qemu stand-in), forked by the real-disk runner: it starts one I/O thread per
 * host context of its mapping, relays their completion records to the parent, and stops on
 * request, at the run's end, or when the parent goes away.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  type ChildMessage,
  CTL_GO,
  CTL_LOCKS,
  CTL_STOP,
  type ParentMessage,
  type ProcessPlan,
  pendingAtEnd,
  stateSlots,
  type ThreadReport,
  type WorkerData,
} from './protocol';

const send = (m: ChildMessage): void => {
  if (process.connected) process.send?.(m);
};

/**
 * Sends a last message and exits once it is written to the channel. An exit on a timer can drop
 * it (and the records queued before it) while the pipe is still full: the parent then sees the
 * process end without its 'done'.
 */
const sendThenExit = (m: ChildMessage, code: number): void => {
  if (!process.connected || !process.send) process.exit(code);
  else process.send(m, undefined, undefined, () => process.exit(code));
};

function ioThreadFile(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const f of [join(here, 'real-io.js'), join(here, '..', 'real-io.js')]) if (existsSync(f)) return f;
  throw new Error(`real-io.js not found next to ${here}; run \`npm run build\``);
}

/** Thread reports in host-context order (the I/O threads report in any order). */
const byContext = (reports: ThreadReport[]): ThreadReport[] => [...reports].sort((a, b) => a.ctx - b.ctx);

let control: Int32Array | null = null;
let clock: BigInt64Array | null = null;
let locks = 0;
const workers: Worker[] = [];

function stopAll(): void {
  if (!control) return;
  Atomics.store(control, CTL_STOP, 1);
  Atomics.notify(control, CTL_GO);
  for (let i = 0; i < 2 * locks; i++) {
    Atomics.add(control, CTL_LOCKS + i, 0);
    Atomics.notify(control, CTL_LOCKS + i);
  }
  const wakeBase = CTL_LOCKS + locks;
  for (let i = 0; i < locks; i++) {
    Atomics.add(control, wakeBase + i, 1);
    Atomics.notify(control, wakeBase + i);
  }
}

function start(plan: ProcessPlan): void {
  locks = plan.locks;
  const offsets: number[] = [];
  let n = 0;
  for (const t of plan.threads) {
    offsets.push(n);
    n += stateSlots(t.iodepth);
  }
  const stateBuf = new SharedArrayBuffer(Math.max(8, n * 8));
  const st = new Float64Array(stateBuf);
  for (const t of plan.threads) {
    const o = offsets[t.local];
    st[o] = 0;
    st[o + 1] = t.seed >>> 0 || 1;
    st[o + 2] = t.startNs;
    for (let k = 0; k < t.iodepth; k++) st[o + 3 + k] = t.startNs;
  }
  const controlBuf = new SharedArrayBuffer(4 * (CTL_LOCKS + 2 * plan.locks));
  control = new Int32Array(controlBuf);
  const clockBuf = new SharedArrayBuffer(8);
  clock = new BigInt64Array(clockBuf);
  const file = ioThreadFile();
  const ready: ThreadReport[] = [];
  const done: ThreadReport[] = [];
  plan.workers.forEach((_, i) => {
    const wd: WorkerData = {
      plan,
      worker: i,
      state: stateBuf,
      control: controlBuf,
      clock: clockBuf,
      stateOffsets: offsets,
    };
    const w = new Worker(file, { workerData: wd });
    workers.push(w);
    w.on('message', (m: { type: string; report?: ThreadReport; data?: Float64Array; message?: string }) => {
      if (m.type === 'ready' && m.report) {
        ready.push(m.report);
        if (ready.length === plan.workers.length)
          send({ type: 'ready', pid: process.pid, threads: byContext(ready) });
      } else if (m.type === 'records' && m.data) send({ type: 'records', data: m.data });
      else if (m.type === 'done' && m.report) {
        done.push(m.report);
        if (done.length === plan.workers.length) {
          sendThenExit(
            {
              type: 'done',
              threads: byContext(done),
              pending: pendingAtEnd(plan, st, offsets, plan.durationNs),
            },
            0,
          );
        }
      } else if (m.type === 'error') {
        send({ type: 'error', message: m.message ?? 'I/O thread failed' });
        stopAll();
      }
    });
    w.on('error', (e) => {
      send({ type: 'error', message: `I/O thread ${i}: ${e.message}` });
      stopAll();
    });
  });
}

process.on('message', (m: ParentMessage) => {
  if (m.type === 'plan') {
    try {
      start(m.plan);
    } catch (e) {
      sendThenExit({ type: 'error', message: (e as Error).message }, 1);
    }
  } else if (m.type === 'go' && control && clock) {
    clock[0] = BigInt(m.t0);
    Atomics.store(control, CTL_GO, 1);
    Atomics.notify(control, CTL_GO);
  } else if (m.type === 'stop') stopAll();
});

// The parent went away (crash, kill): stop the I/O and leave.
process.on('disconnect', () => {
  stopAll();
  setTimeout(() => process.exit(0), 3000).unref();
  Promise.all(workers.map((w) => new Promise((r) => w.once('exit', r)))).then(() => process.exit(0));
});
process.on('SIGINT', () => {});
