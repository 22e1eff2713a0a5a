/**
 * Runs experiments in worker threads (one worker per experiment) and fans their events out to
 * listeners as { runId, event }. The calling thread never runs the simulation.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EventEnvelope, Pacing, RunEvent } from '../../common/api';
import type { SimWorkerData, ToWorker } from './protocol';

export interface SessionManagerOptions {
  /** Path of the built sim-worker.js; found next to the bundle by default. */
  workerPath?: string;
  /** Wall time between streamed batches (ms). */
  batchMs?: number;
}

interface Session {
  worker: Worker;
  finished: boolean;
}

export function defaultWorkerPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    join(here, 'sim-worker.js'),
    join(here, '..', 'sim-worker.js'),
    join(here, '..', '..', '..', 'out', 'main', 'sim-worker.js'),
  ];
  return candidates.find((p) => existsSync(p)) ?? candidates[0];
}

export class SessionManager {
  private readonly sessions = new Map<string, Session>();
  private readonly listeners = new Set<(e: EventEnvelope) => void>();
  private readonly workerPath: string;

  constructor(private readonly opts: SessionManagerOptions = {}) {
    this.workerPath = opts.workerPath ?? defaultWorkerPath();
  }

  onEvent(listener: (e: EventEnvelope) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(runId: string, event: RunEvent): void {
    for (const l of this.listeners) {
      try {
        l({ runId, event });
      } catch {
        // A failing listener must not stop the others.
      }
    }
  }

  /** Starts an experiment; the spec must already have been validated by the caller. */
  start(spec: unknown, pacing: Pacing): string {
    const runId = randomUUID();
    const data: SimWorkerData = { spec, pacing, batchMs: this.opts.batchMs };
    const worker = new Worker(this.workerPath, { workerData: data });
    const session: Session = { worker, finished: false };
    this.sessions.set(runId, session);
    const finish = () => {
      if (session.finished) return;
      session.finished = true;
      this.sessions.delete(runId);
      void worker.terminate();
    };
    worker.on('message', (event: RunEvent) => {
      if (session.finished) return;
      this.emit(runId, event);
      if (event.type === 'done' || event.type === 'error') finish();
    });
    worker.on('error', (err) => {
      if (session.finished) return;
      this.emit(runId, { type: 'error', message: err.message });
      finish();
    });
    worker.on('exit', (code) => {
      if (session.finished) return;
      this.emit(runId, { type: 'error', message: `simulation worker exited (code ${code})` });
      finish();
    });
    return runId;
  }

  private send(runId: string, msg: ToWorker): Session {
    const s = this.sessions.get(runId);
    if (!s) throw new Error(`no active run ${runId}`);
    s.worker.postMessage(msg);
    return s;
  }

  pause(runId: string): void {
    this.send(runId, { type: 'pause' });
  }

  resume(runId: string): void {
    this.send(runId, { type: 'resume' });
  }

  setPacing(runId: string, pacing: Pacing): void {
    this.send(runId, { type: 'pacing', pacing });
  }

  stop(runId: string): void {
    const s = this.sessions.get(runId);
    if (!s) return;
    s.finished = true;
    this.sessions.delete(runId);
    void s.worker.terminate();
    this.emit(runId, { type: 'stopped' });
  }

  get active(): number {
    return this.sessions.size;
  }

  async close(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.worker.terminate()));
  }
}
