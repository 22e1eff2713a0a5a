/**
 * `pvblk run --trace-out F`: runs the experiment in this thread with a TraceExport observing every
 * I/O and writes, per run, F.iolog (fio iolog v3) and F.blkparse (blkparse-like text); a matrix run
 * writes F.<i>.iolog and F.<i>.blkparse for run i. Output is buffered and written as the run goes.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { ExperimentResult, RunResult } from '../../common/result';
import type { Spec } from '../../common/spec/schema';
import { expandMatrix } from '../../common/spec/validate';
import { Simulation } from '../../engine/simulation';
import { ENGINE_VERSION } from '../../engine/version';
import { TraceExport } from '../../engine/workload/trace/export';
import { fileTraceProvider } from './provider';

class BufferedFile {
  private readonly fd: number;
  private buf: string[] = [];
  private size = 0;
  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }
  line(s: string): void {
    this.buf.push(s);
    this.size += s.length + 1;
    if (this.size > 1 << 20) this.flush();
  }
  flush(): void {
    if (this.buf.length) writeSync(this.fd, `${this.buf.join('\n')}\n`);
    this.buf = [];
    this.size = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

export function traceOutFiles(
  base: string,
  index: number,
  runs: number,
): { iolog: string; blkparse: string } {
  const stem = runs > 1 ? `${base}.${index}` : base;
  return { iolog: `${stem}.iolog`, blkparse: `${stem}.blkparse` };
}

export function runWithTraceOut(spec: Spec, base: string): ExperimentResult {
  const runs = expandMatrix(spec);
  const results: RunResult[] = runs.map((run, i) => {
    const files = traceOutFiles(base, i, runs.length);
    const iolog = new BufferedFile(files.iolog);
    const blk = new BufferedFile(files.blkparse);
    try {
      let names: string[] = [];
      const exp = new TraceExport(
        { iolog: (l) => iolog.line(l), blkparse: (l) => blk.line(l) },
        (t) => names[t] ?? `thread${t}`,
      );
      const sim = new Simulation(run.spec, run.params, {
        traces: fileTraceProvider(run.spec),
        observer: { submitted: (u) => exp.submitted(u), completed: (u) => exp.completed(u) },
      });
      names = sim.layout.threads.map((t) => t.name.replace(/[\s\]]/g, '_'));
      const result = sim.result();
      exp.finish();
      return result;
    } finally {
      iolog.close();
      blk.close();
    }
  });
  return { name: spec.name, seed: spec.seed, engine_version: ENGINE_VERSION, runs: results };
}
