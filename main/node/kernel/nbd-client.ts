/**
 * A minimal NBD client (fixed newstyle, NBD_OPT_GO or NBD_OPT_EXPORT_NAME, simple replies): the
 * protocol tests' peer and the lab's own probe of a running server. The guest uses Qemu's client.
 */
import { connect, type Socket } from 'node:net';
import * as P from './nbd-protocol';

export interface NbdReply {
  error: number;
  data: Buffer;
}

export class NbdClient {
  private buf = Buffer.alloc(0);
  private waiters: { n: number; resolve: (b: Buffer) => void; reject: (e: Error) => void }[] = [];
  private closed = false;
  size = 0;
  flags = 0;
  private nextHandle = 1n;
  /** Outstanding requests: handle → (read length, resolve). */
  private readonly pending = new Map<bigint, { len: number; resolve: (r: NbdReply) => void }>();

  private constructor(readonly sock: Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.drain();
    });
    const fail = () => {
      this.closed = true;
      for (const w of this.waiters) w.reject(new Error('connection closed'));
      this.waiters = [];
    };
    sock.on('close', fail);
    sock.on('error', fail);
  }

  static open(port: number): Promise<NbdClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new NbdClient(s)));
      s.once('error', reject);
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private drain(): void {
    while (this.waiters.length > 0 && this.buf.length >= this.waiters[0].n) {
      const w = this.waiters.shift()!;
      const out = this.buf.subarray(0, w.n);
      this.buf = this.buf.subarray(w.n);
      w.resolve(Buffer.from(out));
    }
  }

  /** The next `n` bytes from the server. */
  recv(n: number): Promise<Buffer> {
    if (this.closed && this.buf.length < n) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => {
      this.waiters.push({ n, resolve, reject });
      this.drain();
    });
  }

  send(b: Buffer): void {
    this.sock.write(b);
  }

  /** Read the server's greeting and send the client flags; returns the handshake flags. */
  async greet(clientFlags = P.CFLAG_FIXED_NEWSTYLE | P.CFLAG_NO_ZEROES): Promise<number> {
    const h = await this.recv(18);
    if (h.readBigUInt64BE(0) !== P.NBDMAGIC || h.readBigUInt64BE(8) !== P.IHAVEOPT)
      throw new Error('not an NBD newstyle server');
    const f = Buffer.alloc(4);
    f.writeUInt32BE(clientFlags, 0);
    this.send(f);
    return h.readUInt16BE(16);
  }

  sendOption(opt: number, data: Buffer = Buffer.alloc(0)): void {
    const h = Buffer.alloc(16);
    h.writeBigUInt64BE(P.IHAVEOPT, 0);
    h.writeUInt32BE(opt, 8);
    h.writeUInt32BE(data.length, 12);
    this.send(Buffer.concat([h, data]));
  }

  async optionReply(): Promise<{ opt: number; type: number; data: Buffer }> {
    const h = await this.recv(20);
    if (h.readBigUInt64BE(0) !== P.OPT_REPLY_MAGIC) throw new Error('bad option reply magic');
    const len = h.readUInt32BE(16);
    return {
      opt: h.readUInt32BE(8),
      type: h.readUInt32BE(12),
      data: len ? await this.recv(len) : Buffer.alloc(0),
    };
  }

  /** NBD_OPT_GO for `name`; resolves once in transmission, or with the error reply type. */
  async go(name: string): Promise<number> {
    const n = Buffer.from(name, 'utf8');
    const d = Buffer.alloc(4 + n.length + 2);
    d.writeUInt32BE(n.length, 0);
    n.copy(d, 4);
    d.writeUInt16BE(0, 4 + n.length);
    this.sendOption(P.OPT_GO, d);
    for (;;) {
      const r = await this.optionReply();
      if (r.type === P.REP_INFO && r.data.readUInt16BE(0) === P.INFO_EXPORT) {
        this.size = Number(r.data.readBigUInt64BE(2));
        this.flags = r.data.readUInt16BE(10);
      } else if (r.type === P.REP_ACK) {
        this.startReplies();
        return 0;
      } else if (r.type !== P.REP_INFO) return r.type;
    }
  }

  /** NBD_OPT_EXPORT_NAME (no-zeroes negotiated). */
  async exportName(name: string): Promise<void> {
    this.sendOption(P.OPT_EXPORT_NAME, Buffer.from(name, 'utf8'));
    const r = await this.recv(10);
    this.size = Number(r.readBigUInt64BE(0));
    this.flags = r.readUInt16BE(8);
    this.startReplies();
  }

  private startReplies(): void {
    void (async () => {
      for (;;) {
        let h: Buffer;
        try {
          h = await this.recv(16);
        } catch {
          return;
        }
        if (h.readUInt32BE(0) !== P.SIMPLE_REPLY_MAGIC) throw new Error('bad reply magic');
        const handle = h.readBigUInt64BE(8);
        const p = this.pending.get(handle);
        if (!p) throw new Error(`reply to unknown handle ${handle}`);
        this.pending.delete(handle);
        const error = h.readUInt32BE(4);
        const data = error === 0 && p.len > 0 ? await this.recv(p.len) : Buffer.alloc(0);
        p.resolve({ error, data });
      }
    })();
  }

  /** Send a request; resolves with its reply. `readLen` is the payload expected back (reads). */
  request(type: number, offset: number, length: number, payload?: Buffer, readLen = 0): Promise<NbdReply> {
    const handle = this.nextHandle++;
    const h = Buffer.alloc(P.REQUEST_HEADER);
    h.writeUInt32BE(P.REQUEST_MAGIC, 0);
    h.writeUInt16BE(0, 4);
    h.writeUInt16BE(type, 6);
    h.writeBigUInt64BE(handle, 8);
    h.writeBigUInt64BE(BigInt(offset), 16);
    h.writeUInt32BE(length, 24);
    const p = new Promise<NbdReply>((resolve) => this.pending.set(handle, { len: readLen, resolve }));
    this.send(payload ? Buffer.concat([h, payload]) : h);
    return p;
  }

  read(offset: number, length: number): Promise<NbdReply> {
    return this.request(P.CMD_READ, offset, length, undefined, length);
  }

  write(offset: number, data: Buffer): Promise<NbdReply> {
    return this.request(P.CMD_WRITE, offset, data.length, data);
  }

  flush(): Promise<NbdReply> {
    return this.request(P.CMD_FLUSH, 0, 0);
  }

  /** NBD_CMD_DISC; resolves when the server has closed the connection. */
  disconnect(): Promise<void> {
    const h = Buffer.alloc(P.REQUEST_HEADER);
    h.writeUInt32BE(P.REQUEST_MAGIC, 0);
    h.writeUInt16BE(P.CMD_DISC, 6);
    return new Promise((resolve) => {
      if (this.closed) return resolve();
      this.sock.once('close', () => resolve());
      this.send(h);
    });
  }

  destroy(): void {
    this.sock.destroy();
  }
}
