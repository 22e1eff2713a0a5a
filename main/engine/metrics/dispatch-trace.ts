/**
 * The host dispatch trace of a simulated run: at most `cap` points, thinned evenly, kept as
 * records of numbers (see RecordTrace).
 */
import type { DispatchPoint } from '../../common/result';
import { RecordTrace } from './record-trace';

const T = 0;
const SECTOR = 1;
const SECTORS = 2;
const VM = 3;
const THREAD = 4;
const CTX = 5;
const WRITE = 6;
const REC = 7;

export class DispatchTrace extends RecordTrace<DispatchPoint> {
  constructor(cap: number) {
    super(cap, REC);
  }

  /** Keep a point `accept` said to keep. */
  add(
    t: number,
    sector: number,
    sectors: number,
    vm: number,
    thread: number,
    ctx: number,
    write: boolean,
  ): void {
    const o = this.next();
    const b = this.buf;
    b[o + T] = t;
    b[o + SECTOR] = sector;
    b[o + SECTORS] = sectors;
    b[o + VM] = vm;
    b[o + THREAD] = thread;
    b[o + CTX] = ctx;
    b[o + WRITE] = write ? 1 : 0;
    this.kept(o);
  }

  protected point(o: number): DispatchPoint {
    const b = this.buf;
    return {
      t: b[o + T],
      sector: b[o + SECTOR],
      sectors: b[o + SECTORS],
      vm: b[o + VM],
      thread: b[o + THREAD],
      ctx: b[o + CTX],
      write: b[o + WRITE] === 1,
    };
  }
}
