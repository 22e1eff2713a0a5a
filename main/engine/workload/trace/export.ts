/**
 * Simulated I/Os as traces other tools read (`pvblk run --trace-out`), built from the run's
 * submissions and completions (the simulation's IoObserver). Pure: lines go to a sink.
 *
 * - fio iolog version 3 (fio's HOWTO "Trace file format v3"): one `read`/`write` line per completed
 *   I/O in submission order, timestamp = submission in µs of simulated time, offset and length in
 *   bytes on the host disk. I/Os still outstanding at the end of the run are left out.
 * - blkparse-like text in blkparse's default layout: a Q (submitted), D (dispatched to the disk) and
 *   C (completed) event per I/O, in time order, sectors on the host disk, pid = the issuing guest or
 *   native process, the thread's name as the command.
 *
 * Both are written as the run goes, holding only I/Os whose earlier-submitted neighbours are
 * still outstanding.
 */
import type { IoUnit } from '../../io/request';

export interface TraceExportSink {
  iolog(line: string): void;
  blkparse(line: string): void;
}

export const EXPORT_DEVICE = '/dev/pvblk';

interface Event {
  t: number;
  seq: number;
  line: (seq: number) => string;
}

/** A small binary min-heap of events by (time, insertion order). */
class EventHeap {
  private readonly a: Event[] = [];
  get size(): number {
    return this.a.length;
  }
  peek(): Event | undefined {
    return this.a[0];
  }
  private less(i: number, j: number): boolean {
    const x = this.a[i];
    const y = this.a[j];
    return x.t < y.t || (x.t === y.t && x.seq < y.seq);
  }
  push(e: Event): void {
    const a = this.a;
    a.push(e);
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  pop(): Event | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(l, m)) m = l;
        if (r < a.length && this.less(r, m)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

const seconds = (ns: number): string => `${Math.floor(ns / 1e9)}.${String(ns % 1e9).padStart(9, '0')}`;

export class TraceExport {
  /** Submitted I/Os by id, in submission order; `u` is set once the I/O completed. */
  private readonly pending = new Map<number, { t: number; u: IoUnit | null }>();
  private readonly events = new EventHeap();
  private eventSeq = 0;
  private blkSeq = 0;
  private lastUs = 0;

  constructor(
    private readonly sink: TraceExportSink,
    private readonly threadName: (thread: number) => string,
  ) {
    sink.iolog('fio version 3 iolog');
    sink.iolog(`0 ${EXPORT_DEVICE} add`);
    sink.iolog(`0 ${EXPORT_DEVICE} open`);
  }

  submitted(u: IoUnit): void {
    this.pending.set(u.id, { t: u.tSubmit, u: null });
  }

  completed(u: IoUnit): void {
    const p = this.pending.get(u.id);
    if (!p) return;
    p.u = u;
    const rwbs = u.op === 'read' ? 'R' : u.sync ? 'WS' : 'W';
    const tail = `${rwbs.padStart(3)} ${u.hostSector} + ${u.sectors} [${this.threadName(u.thread)}]`;
    const ev = (t: number, a: string) =>
      this.events.push({
        t,
        seq: this.eventSeq++,
        line: (n) =>
          `  8,0    0 ${String(n).padStart(8)} ${seconds(t).padStart(14)} ${String(u.pid).padStart(5)}  ${a} ${tail}`,
      });
    ev(u.tSubmit, 'Q');
    if (u.tHostOut >= 0) ev(u.tHostOut, 'D');
    ev(u.tDone, 'C');
    this.flush(false);
  }

  /** Write out everything completed (at the end of the run); outstanding I/Os are left out. */
  finish(): void {
    this.flush(true);
    this.sink.iolog(`${this.lastUs} ${EXPORT_DEVICE} close`);
  }

  private flush(all: boolean): void {
    // fio iolog: completed I/Os whose earlier-submitted ones have all completed, in submission order.
    for (const [id, p] of this.pending) {
      if (p.u === null) {
        if (!all) break;
        this.pending.delete(id);
        continue;
      }
      this.pending.delete(id);
      this.lastUs = Math.floor(p.t / 1000);
      this.sink.iolog(
        `${this.lastUs} ${EXPORT_DEVICE} ${p.u.op} ${p.u.hostSector * 512} ${p.u.sectors * 512}`,
      );
    }
    // blkparse: events no outstanding I/O can precede (its events all come at or after its submission).
    let watermark = Number.POSITIVE_INFINITY;
    if (!all)
      for (const p of this.pending.values()) {
        watermark = p.t;
        break;
      }
    for (let e = this.events.peek(); e !== undefined && e.t <= watermark; e = this.events.peek()) {
      this.events.pop();
      this.sink.blkparse(e.line(++this.blkSeq));
    }
  }
}
