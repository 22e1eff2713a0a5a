/**
 * The lab's NBD server: one export whose every request is timed by the engine's disk model in real
 * time (disk-clock.ts). Fixed newstyle handshake (NBD_OPT_EXPORT_NAME, NBD_OPT_INFO/GO with the
 * export and block-size infos, NBD_OPT_LIST, NBD_OPT_ABORT; other options NBD_REP_ERR_UNSUP),
 * then simple replies to READ, WRITE, FLUSH and DISC; bad requests get EINVAL/ENOSPC/ENOTSUP, a
 * bad magic or an oversized write ends the connection.
 *
 * The export is the model disk with a metadata area before and after it (the partition table, its
 * backup): `prefixSectors` 512-byte sectors, then the model's capacity, then `suffixSectors`.
 * Requests touching only the metadata are answered at once and not timed (the guest reads them
 * once, at boot); the rest is clipped to the model's range and timed.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { DiskModelSpec } from '../../common/spec/schema';
import { SECTOR_BYTES } from '../../engine/io/request';
import { DiskClock } from './disk-clock';
import * as P from './nbd-protocol';
import { SparseStore } from './sparse-store';

export interface NbdServerOptions {
  disk: DiskModelSpec;
  exportName?: string;
  prefixSectors?: number;
  suffixSectors?: number;
  /** Cap on stored written data (bytes); see sparse-store.ts. */
  storeCapBytes?: number;
  /** Metadata sectors whose reads mark instants (the arrival times go to `marks`). */
  markSectors?: number[];
}

export class NbdPortInUse extends Error {
  constructor(readonly port: number) {
    super(`port ${port} on 127.0.0.1 is in use (choose another with --port, or 0 for any free port)`);
    this.name = 'NbdPortInUse';
  }
}

/** Counters beyond the disk log. */
export interface NbdStats {
  connections: number;
  metaRequests: number;
  badRequests: number;
  flushes: number;
}

export class NbdServer {
  readonly clock: DiskClock;
  readonly store: SparseStore;
  readonly exportName: string;
  readonly prefixSectors: number;
  readonly suffixSectors: number;
  readonly sizeBytes: number;
  readonly stats: NbdStats = { connections: 0, metaRequests: 0, badRequests: 0, flushes: 0 };
  /** Arrival times (clock ns) of reads of each mark sector. */
  readonly marks = new Map<number, number[]>();
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  constructor(opts: NbdServerOptions) {
    this.clock = new DiskClock(opts.disk);
    this.exportName = opts.exportName ?? 'pvblk';
    this.prefixSectors = opts.prefixSectors ?? 0;
    this.suffixSectors = opts.suffixSectors ?? 0;
    this.sizeBytes = (this.prefixSectors + this.clock.capacitySectors + this.suffixSectors) * SECTOR_BYTES;
    this.store = new SparseStore(this.sizeBytes, opts.storeCapBytes);
    for (const m of opts.markSectors ?? []) this.marks.set(m, []);
  }

  /** Listen on 127.0.0.1:`port` (0 = any free port); resolves with the port. */
  listen(port = 0): Promise<number> {
    return new Promise((resolve, reject) => {
      const srv = createServer((s) => this.accept(s));
      srv.once('error', (e: NodeJS.ErrnoException) => {
        reject(e.code === 'EADDRINUSE' ? new NbdPortInUse(port) : e);
      });
      srv.listen(port, '127.0.0.1', () => {
        this.server = srv;
        const a = srv.address();
        resolve(typeof a === 'object' && a ? a.port : port);
      });
    });
  }

  /** Close the listener and every connection; stop the disk clock. */
  close(): Promise<void> {
    this.clock.close();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const srv = this.server;
    this.server = null;
    return new Promise((r) => (srv ? srv.close(() => r()) : r()));
  }

  private accept(sock: Socket): void {
    this.stats.connections++;
    this.sockets.add(sock);
    sock.setNoDelay(true);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    new Connection(this, sock).start();
  }
}

/** Bytes arriving on a socket, consumed in exact-length pieces. */
class Reader {
  private bufs: Buffer[] = [];
  private have = 0;

  push(b: Buffer): void {
    this.bufs.push(b);
    this.have += b.length;
  }

  get length(): number {
    return this.have;
  }

  take(n: number): Buffer {
    const all = this.bufs.length === 1 ? this.bufs[0] : Buffer.concat(this.bufs, this.have);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.bufs = rest.length > 0 ? [rest] : [];
    this.have = rest.length;
    return out;
  }
}

type Phase = 'clientFlags' | 'optHeader' | 'optData' | 'reqHeader' | 'reqData' | 'closed';

class Connection {
  private readonly rd = new Reader();
  private phase: Phase = 'clientFlags';
  private need = 4;
  private noZeroes = false;
  private opt = 0;
  private req: { handle: Buffer; offset: number } | null = null;
  /** Requests of this connection not answered yet, and flushes waiting for some of them. */
  private readonly outstanding = new Set<number>();
  private readonly flushes: { waitFor: Set<number>; handle: Buffer }[] = [];
  private nextReq = 1;
  private disconnecting = false;

  constructor(
    private readonly srv: NbdServer,
    private readonly sock: Socket,
  ) {}

  start(): void {
    const hello = Buffer.alloc(18);
    hello.writeBigUInt64BE(P.NBDMAGIC, 0);
    hello.writeBigUInt64BE(P.IHAVEOPT, 8);
    hello.writeUInt16BE(P.FLAG_FIXED_NEWSTYLE | P.FLAG_NO_ZEROES, 16);
    this.sock.write(hello);
    this.sock.on('data', (d: Buffer) => {
      this.rd.push(d);
      this.pump();
    });
  }

  private close(): void {
    this.phase = 'closed';
    this.sock.destroy();
  }

  private pump(): void {
    while (this.phase !== 'closed' && this.rd.length >= this.need) {
      const b = this.rd.take(this.need);
      switch (this.phase) {
        case 'clientFlags': {
          const f = b.readUInt32BE(0);
          if (
            (f & P.CFLAG_FIXED_NEWSTYLE) === 0 ||
            (f & ~(P.CFLAG_FIXED_NEWSTYLE | P.CFLAG_NO_ZEROES)) !== 0
          ) {
            this.close();
            return;
          }
          this.noZeroes = (f & P.CFLAG_NO_ZEROES) !== 0;
          this.phase = 'optHeader';
          this.need = 16;
          break;
        }
        case 'optHeader': {
          if (b.readBigUInt64BE(0) !== P.IHAVEOPT) {
            this.close();
            return;
          }
          this.opt = b.readUInt32BE(8);
          const len = b.readUInt32BE(12);
          if (len > 65536) {
            this.close();
            return;
          }
          this.phase = 'optData';
          this.need = len;
          if (len === 0) this.option(Buffer.alloc(0));
          break;
        }
        case 'optData':
          this.option(b);
          break;
        case 'reqHeader':
          this.header(b);
          break;
        case 'reqData': {
          const r = this.req!;
          this.req = null;
          this.phase = 'reqHeader';
          this.need = P.REQUEST_HEADER;
          this.write(r.handle, r.offset, b);
          break;
        }
      }
    }
  }

  // ---------------------------------------------------------------- handshake

  private optReply(opt: number, type: number, data: Buffer = Buffer.alloc(0)): void {
    const h = Buffer.alloc(20);
    h.writeBigUInt64BE(P.OPT_REPLY_MAGIC, 0);
    h.writeUInt32BE(opt, 8);
    h.writeUInt32BE(type >>> 0, 12);
    h.writeUInt32BE(data.length, 16);
    this.sock.write(Buffer.concat([h, data]));
  }

  private transmissionFlags(): number {
    const rotational = this.srv.clock.disk.rotational ? P.TFLAG_ROTATIONAL : 0;
    return P.TFLAG_HAS_FLAGS | P.TFLAG_SEND_FLUSH | rotational;
  }

  private option(data: Buffer): void {
    const opt = this.opt;
    this.phase = 'optHeader';
    this.need = 16;
    switch (opt) {
      case P.OPT_EXPORT_NAME: {
        if (data.toString('utf8') !== this.srv.exportName && data.length > 0) {
          this.close();
          return;
        }
        const r = Buffer.alloc(this.noZeroes ? 10 : 134);
        r.writeBigUInt64BE(BigInt(this.srv.sizeBytes), 0);
        r.writeUInt16BE(this.transmissionFlags(), 8);
        this.sock.write(r);
        this.enterTransmission();
        return;
      }
      case P.OPT_ABORT:
        this.optReply(opt, P.REP_ACK);
        this.sock.end();
        this.phase = 'closed';
        return;
      case P.OPT_LIST: {
        if (data.length > 0) {
          this.optReply(opt, P.REP_ERR_INVALID);
          return;
        }
        const name = Buffer.from(this.srv.exportName, 'utf8');
        const d = Buffer.alloc(4 + name.length);
        d.writeUInt32BE(name.length, 0);
        name.copy(d, 4);
        this.optReply(opt, P.REP_SERVER, d);
        this.optReply(opt, P.REP_ACK);
        return;
      }
      case P.OPT_INFO:
      case P.OPT_GO: {
        if (data.length < 6) {
          this.optReply(opt, P.REP_ERR_INVALID);
          return;
        }
        const nlen = data.readUInt32BE(0);
        if (4 + nlen + 2 > data.length) {
          this.optReply(opt, P.REP_ERR_INVALID);
          return;
        }
        const name = data.subarray(4, 4 + nlen).toString('utf8');
        const nInfo = data.readUInt16BE(4 + nlen);
        if (4 + nlen + 2 + 2 * nInfo !== data.length) {
          this.optReply(opt, P.REP_ERR_INVALID);
          return;
        }
        if (name !== this.srv.exportName && name !== '') {
          this.optReply(opt, P.REP_ERR_UNKNOWN);
          return;
        }
        const ex = Buffer.alloc(12);
        ex.writeUInt16BE(P.INFO_EXPORT, 0);
        ex.writeBigUInt64BE(BigInt(this.srv.sizeBytes), 2);
        ex.writeUInt16BE(this.transmissionFlags(), 10);
        this.optReply(opt, P.REP_INFO, ex);
        const bs = Buffer.alloc(14);
        bs.writeUInt16BE(P.INFO_BLOCK_SIZE, 0);
        bs.writeUInt32BE(1, 2);
        bs.writeUInt32BE(4096, 6);
        bs.writeUInt32BE(P.MAX_REQUEST_BYTES, 10);
        this.optReply(opt, P.REP_INFO, bs);
        this.optReply(opt, P.REP_ACK);
        if (opt === P.OPT_GO) this.enterTransmission();
        return;
      }
      default:
        this.optReply(opt, P.REP_ERR_UNSUP);
    }
  }

  private enterTransmission(): void {
    this.phase = 'reqHeader';
    this.need = P.REQUEST_HEADER;
  }

  // ---------------------------------------------------------------- transmission

  private reply(handle: Buffer, error: number, data?: Buffer): void {
    if (this.phase === 'closed') return;
    const h = Buffer.alloc(16);
    h.writeUInt32BE(P.SIMPLE_REPLY_MAGIC, 0);
    h.writeUInt32BE(error, 4);
    handle.copy(h, 8);
    this.sock.write(data && error === 0 ? Buffer.concat([h, data]) : h);
  }

  private header(b: Buffer): void {
    if (b.readUInt32BE(0) !== P.REQUEST_MAGIC) {
      this.close();
      return;
    }
    const type = b.readUInt16BE(6);
    const handle = Buffer.from(b.subarray(8, 16));
    const offset = Number(b.readBigUInt64BE(16));
    const length = b.readUInt32BE(24);
    const size = this.srv.sizeBytes;
    const inRange = offset + length <= size && Number.isSafeInteger(offset);
    if (type === P.CMD_READ) {
      if (!inRange || length === 0 || length > P.MAX_REQUEST_BYTES) this.bad(handle, P.EINVAL);
      else this.read(handle, offset, length);
    } else if (type === P.CMD_WRITE) {
      if (length > P.MAX_REQUEST_BYTES) {
        this.srv.stats.badRequests++;
        this.close();
      } else if (length === 0) this.bad(handle, P.EINVAL);
      else {
        // out of range: the payload is read and dropped, then refused with ENOSPC
        this.req = { handle, offset: inRange ? offset : -1 };
        this.phase = 'reqData';
        this.need = length;
      }
    } else if (type === P.CMD_FLUSH) this.flush(handle);
    else if (type === P.CMD_DISC) {
      this.disconnecting = true;
      this.maybeEnd();
    } else this.bad(handle, P.EINVAL);
  }

  private bad(handle: Buffer, err: number): void {
    this.srv.stats.badRequests++;
    this.reply(handle, err);
  }

  /** The model's part of a byte range, as [sector, sectors] on the model disk, or null (metadata only). */
  private modelRange(offset: number, length: number): [number, number] | null {
    const first = Math.floor(offset / SECTOR_BYTES) - this.srv.prefixSectors;
    const end = Math.ceil((offset + length) / SECTOR_BYTES) - this.srv.prefixSectors;
    const cap = this.srv.clock.capacitySectors;
    const a = Math.max(0, first);
    const b = Math.min(cap, end);
    return b > a ? [a, b - a] : null;
  }

  private timed(op: 'read' | 'write', offset: number, length: number, answer: () => void): void {
    const id = this.nextReq++;
    this.outstanding.add(id);
    const done = () => {
      this.outstanding.delete(id);
      answer();
      this.settleFlushes(id);
      this.maybeEnd();
    };
    const r = this.modelRange(offset, length);
    if (r === null) {
      this.srv.stats.metaRequests++;
      if (op === 'read')
        for (const [sector, times] of this.srv.marks)
          if (sector * SECTOR_BYTES >= offset && sector * SECTOR_BYTES < offset + length)
            times.push(this.srv.clock.nowNs());
      setImmediate(done);
    } else this.srv.clock.submit(op, r[0], r[1], done);
  }

  private read(handle: Buffer, offset: number, length: number): void {
    this.timed('read', offset, length, () => this.reply(handle, 0, this.srv.store.read(offset, length)));
  }

  private write(handle: Buffer, offset: number, data: Buffer): void {
    if (offset < 0) {
      this.bad(handle, P.ENOSPC);
      return;
    }
    const meta =
      offset < this.srv.prefixSectors * SECTOR_BYTES ||
      offset + data.length > this.srv.sizeBytes - this.srv.suffixSectors * SECTOR_BYTES;
    this.srv.store.write(offset, Buffer.from(data), meta);
    this.timed('write', offset, data.length, () => this.reply(handle, 0));
  }

  private flush(handle: Buffer): void {
    this.srv.stats.flushes++;
    // the model has no write cache: a flush is done once the writes received before it are
    if (this.outstanding.size === 0) {
      this.reply(handle, 0);
      return;
    }
    this.flushes.push({ waitFor: new Set(this.outstanding), handle });
  }

  private settleFlushes(id: number): void {
    for (let i = 0; i < this.flushes.length; ) {
      const f = this.flushes[i];
      f.waitFor.delete(id);
      if (f.waitFor.size === 0) {
        this.flushes.splice(i, 1);
        this.reply(f.handle, 0);
      } else i++;
    }
  }

  private maybeEnd(): void {
    if (this.disconnecting && this.outstanding.size === 0 && this.phase !== 'closed') {
      this.phase = 'closed';
      this.sock.end();
    }
  }
}
