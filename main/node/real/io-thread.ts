/**
 * One host context = one OS thread (a worker_threads Worker is its own kernel task) issuing
 * synchronous pread/pwrite on an O_DIRECT descriptor with page-aligned memory. It serves the guest
 * threads the mapping gives it; a pool's workers share the guest threads' state (a
 * SharedArrayBuffer under a lock), so each free worker takes the oldest ready request.
 *
 * A guest thread with iodepth N has N tokens; a token is ready at the thread's start, then again
 * think_ms after its request completes. A ready token waits in its context until that context is
 * free: with synchronous I/O a context has one request at the device at a time, and the waiting
 * time is counted in the latency (the "qemu" part of the breakdown). Poisson threads submit at
 * their arrival instants whatever is outstanding (open loop).
 */
import { closeSync, constants, openSync, readSync, writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import {
  CTL_GO,
  CTL_LOCKS,
  CTL_STOP,
  type IoThreadPlan,
  nextUniform,
  poissonGapNs,
  RECORD,
  type ThreadReport,
  type WorkerData,
} from './protocol';
import { alignedBuffer } from './safety';
import { threadCpuSeconds, threadId } from './sysfs';

const data = workerData as WorkerData;
const plan = data.plan;
const me = plan.workers[data.worker];
const st = new Float64Array(data.state);
const ctl = new Int32Array(data.control);
const clock = new BigInt64Array(data.clock);
const lockIdx = CTL_LOCKS + me.lock;
const wakeIdx = CTL_LOCKS + plan.locks + me.lock;
const shared = plan.workers.filter((w) => w.lock === me.lock).length > 1;
const threads: IoThreadPlan[] = me.serves.map((l) => plan.threads[l]);
const offs = me.serves.map((l) => data.stateOffsets[l]);

const hasWrites = threads.some((t) => t.op !== 'read');
const fds = new Map<string, { direct: number; buffered: number }>();
for (const t of threads) {
  if (fds.has(t.file)) continue;
  const flags = (hasWrites ? constants.O_RDWR : constants.O_RDONLY) | constants.O_NOFOLLOW;
  const direct = openSync(t.file, flags | constants.O_DIRECT);
  const buffered = threads.some((x) => x.file === t.file && x.op !== 'read' && !x.syncWrites)
    ? openSync(t.file, flags)
    : -1;
  fds.set(t.file, { direct, buffered });
}
const fdOf = threads.map((t) => fds.get(t.file) as { direct: number; buffered: number });
const maxBlock = Math.max(4096, ...threads.map((t) => t.blockBytes));
const buf = alignedBuffer(maxBlock);
for (let i = 0; i < maxBlock; i += 8) buf.writeUInt32LE((i * 2654435761) >>> 0, i);

// Only the workers of one pool share state; a context alone with its threads needs no lock.
const lock = shared
  ? (): void => {
      while (Atomics.compareExchange(ctl, lockIdx, 0, 1) !== 0) Atomics.wait(ctl, lockIdx, 1, 1);
    }
  : (): void => {};
const unlock = shared
  ? (): void => {
      Atomics.store(ctl, lockIdx, 0);
      Atomics.notify(ctl, lockIdx, 1);
    }
  : (): void => {};

// Run time in ns since t0. performance.now() is cheap (no BigInt); it is tied once to the shared
// CLOCK_MONOTONIC instant t0 that every process agrees on.
let clockOffsetNs = 0;
const now = (): number => performance.now() * 1e6 + clockOffsetNs;

const rand = (off: number): number => nextUniform(st, off);

// completion records
let rec = new Float64Array(RECORD * 16384);
let nrec = 0;
let lastFlush = 0;
const flush = (): void => {
  if (nrec === 0) return;
  const out = rec.slice(0, nrec * RECORD);
  parentPort?.postMessage({ type: 'records', data: out }, [out.buffer]);
  rec = new Float64Array(RECORD * 16384);
  nrec = 0;
};

parentPort?.postMessage({
  type: 'ready',
  report: { ctx: me.ctx, name: me.name, tid: threadId(), pid: process.pid, cpu_s: 0, wall_s: 0 },
});

// wait for go (or stop)
while (Atomics.load(ctl, CTL_GO) === 0 && Atomics.load(ctl, CTL_STOP) === 0)
  Atomics.wait(ctl, CTL_GO, 0, 100);
{
  const t0 = clock[0];
  const a = performance.now();
  const h = process.hrtime.bigint();
  const b = performance.now();
  clockOffsetNs = Number(h - t0) - ((a + b) / 2) * 1e6;
}
const cpu0 = threadCpuSeconds();
const wall0 = now();
const durationNs = plan.durationNs;

try {
  while (Atomics.load(ctl, CTL_STOP) === 0) {
    let tNow = now();
    if (tNow >= durationNs) break;
    lock();
    let best = -1;
    let bestSlot = -1;
    let bestT = Number.POSITIVE_INFINITY;
    let nextT = Number.POSITIVE_INFINITY;
    for (let i = 0; i < threads.length; i++) {
      const p = threads[i];
      const off = offs[i];
      if (p.poissonRateIops !== null) {
        const t = st[off + 2];
        if (t >= p.stopNs) continue;
        if (t <= tNow) {
          if (t < bestT) {
            bestT = t;
            best = i;
            bestSlot = off + 2;
          }
        } else if (t < nextT) nextT = t;
        continue;
      }
      for (let k = 0; k < p.iodepth; k++) {
        const t = st[off + 3 + k];
        if (t < 0 || t >= p.stopNs) continue;
        if (t <= tNow) {
          if (t < bestT) {
            bestT = t;
            best = i;
            bestSlot = off + 3 + k;
          }
        } else if (t < nextT) nextT = t;
      }
    }
    if (best < 0) {
      const w = Atomics.load(ctl, wakeIdx);
      unlock();
      if (nrec > 0 && tNow - lastFlush > 200e6) {
        flush();
        lastFlush = tNow;
      }
      const until = Math.min(nextT, durationNs, tNow + 50e6);
      const ms = (until - tNow) / 1e6;
      if (ms > 0) Atomics.wait(ctl, wakeIdx, w, ms);
      continue;
    }
    const p = threads[best];
    const off = offs[best];
    // what and where
    let pos: number;
    if (p.random) {
      const n = Math.max(1, Math.floor(p.regionBytes / p.blockBytes));
      pos = p.regionStart + Math.min(n - 1, Math.floor(rand(off) * n)) * p.blockBytes;
    } else {
      let seq = st[off];
      if (seq + p.blockBytes > p.regionBytes) seq = 0;
      pos = p.regionStart + seq;
      st[off] = seq + p.blockBytes;
    }
    const isRead = p.op === 'read' || (p.op === 'rw' && rand(off) * 100 < p.rwmixRead);
    const submit = bestT;
    if (p.poissonRateIops !== null) st[bestSlot] = bestT + poissonGapNs(st, off, p.poissonRateIops);
    else st[bestSlot] = -1;
    unlock();

    const fd = fdOf[best];
    const tDispatch = now();
    if (isRead) readSync(fd.direct, buf, 0, p.blockBytes, pos);
    else if (!p.syncWrites && fd.buffered >= 0) writeSync(fd.buffered, buf, 0, p.blockBytes, pos);
    else writeSync(fd.direct, buf, 0, p.blockBytes, pos);
    const tDone = now();

    if (p.poissonRateIops === null) {
      lock();
      st[bestSlot] = tDone + p.thinkNs;
      if (shared) Atomics.add(ctl, wakeIdx, 1);
      unlock();
      if (shared) Atomics.notify(ctl, wakeIdx);
    }
    const r = nrec * RECORD;
    rec[r] = p.index;
    rec[r + 1] = submit;
    rec[r + 2] = tDispatch;
    rec[r + 3] = tDone;
    rec[r + 4] = p.blockBytes;
    rec[r + 5] = isRead ? 1 : 0;
    rec[r + 6] = pos;
    rec[r + 7] = me.ctx;
    nrec++;
    tNow = tDone;
    if (nrec === 16384 || tNow - lastFlush > 200e6) {
      flush();
      lastFlush = tNow;
    }
  }
  flush();
  const report: ThreadReport = {
    ctx: me.ctx,
    name: me.name,
    tid: threadId(),
    pid: process.pid,
    cpu_s: threadCpuSeconds() - cpu0,
    wall_s: (now() - wall0) / 1e9,
  };
  parentPort?.postMessage({ type: 'done', report });
} catch (e) {
  flush();
  const err = e as NodeJS.ErrnoException;
  parentPort?.postMessage({ type: 'error', message: `${me.name}: ${err.code ?? ''} ${err.message}` });
} finally {
  for (const f of fds.values()) {
    closeSync(f.direct);
    if (f.buffered >= 0) closeSync(f.buffered);
  }
}
