/**
 * `pvblk serve` under hostile input, against a live server on 127.0.0.1: malformed WebSocket frames
 * (each closes that one socket only), a bounded random-frame fuzz, bad percent-encoding (400),
 * oversized bodies (413, not a reset), prototype-pollution keys and unknown names through the API,
 * a 10^8-run matrix refused without being built, and a port in use named in the error. After every
 * attack the server still answers a normal request.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type RunningServer, startServer } from './server';

const dist = mkdtempSync(join(tmpdir(), 'pvblk-serve-test-'));
mkdirSync(dist, { recursive: true });
writeFileSync(join(dist, 'index.html'), '<!doctype html><title>lab</title>');
const TOKEN = 'test-token-0123456789abcdef';
let srv: RunningServer;

beforeAll(async () => {
  srv = await startServer({ distDir: dist, token: TOKEN });
});
afterAll(async () => {
  await srv.close();
  rmSync(dist, { recursive: true, force: true });
});

interface Reply {
  status: number;
  body: string;
}

function http(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}) {
  return new Promise<Reply>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: srv.port,
        agent: false, // a fresh connection: no reuse of one the server closed (Node 24's keep-alive agent)
        method,
        path,
        headers: { host: `127.0.0.1:${srv.port}`, 'x-pvblk-token': TOKEN, ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

const api = (method: string, args: unknown[]) =>
  http('POST', `/api/${method}`, JSON.stringify({ args }), { 'content-type': 'application/json' }).then(
    (r) => ({
      status: r.status,
      reply: JSON.parse(r.body) as { ok: boolean; value?: unknown; error?: string },
    }),
  );

/** The server answers a normal call, and a fresh WebSocket connects. */
async function stillServes(): Promise<void> {
  const r = await api('listPresets', []);
  expect(r.status).toBe(200);
  expect(r.reply.ok).toBe(true);
  const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/api/events?token=${TOKEN}`, {
    headers: { host: `127.0.0.1:${srv.port}` },
  });
  await new Promise<void>((res, rej) => {
    ws.on('open', () => res());
    ws.on('error', rej);
  });
  ws.close();
}

/** A raw TCP socket that has completed the WebSocket handshake on /api/events. */
function rawSocket(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(srv.port, '127.0.0.1');
    s.on('error', () => {});
    s.once('connect', () => {
      s.write(
        `GET /api/events?token=${TOKEN} HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    let head = '';
    const onData = (c: Buffer) => {
      head += c.toString('latin1');
      if (head.includes('\r\n\r\n')) {
        s.off('data', onData);
        if (head.startsWith('HTTP/1.1 101')) resolve(s);
        else reject(new Error(head.split('\r\n')[0]));
      }
    };
    s.on('data', onData);
    s.on('close', () => reject(new Error('closed during handshake')));
  });
}

/** A client frame: FIN + opcode (+ RSV bits), masked unless told otherwise. */
function frame(opts: {
  opcode: number;
  payload: Buffer;
  rsv?: number;
  masked?: boolean;
  fin?: boolean;
}): Buffer {
  const { opcode, payload, rsv = 0, masked = true, fin = true } = opts;
  const len = payload.length;
  const head: number[] = [(fin ? 0x80 : 0) | (rsv << 4) | opcode];
  const m = masked ? 0x80 : 0;
  if (len < 126) head.push(m | len);
  else if (len < 65536) head.push(m | 126, len >> 8, len & 0xff);
  else {
    head.push(m | 127, 0, 0, 0, 0);
    head.push((len >>> 24) & 0xff, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff);
  }
  if (!masked) return Buffer.concat([Buffer.from(head), payload]);
  const key = randomBytes(4);
  const body = Buffer.from(payload.map((b, i) => b ^ key[i % 4]));
  return Buffer.concat([Buffer.from(head), key, body]);
}

/** Sends bytes on an upgraded socket and waits until the server closes it (or a short while passes). */
async function sendAndWait(bytes: Buffer, waitMs = 1000): Promise<boolean> {
  const s = await rawSocket();
  const closed = new Promise<boolean>((res) => {
    s.on('close', () => res(true));
    setTimeout(() => res(false), waitMs);
  });
  s.write(bytes);
  const wasClosed = await closed;
  s.destroy();
  return wasClosed;
}

describe('pvblk serve: WebSocket frames', () => {
  it.each([
    ['a message over 64 KiB', frame({ opcode: 1, payload: Buffer.alloc(70_000, 0x61) })],
    ['a reserved opcode', frame({ opcode: 3, payload: Buffer.from('x') })],
    ['an unmasked frame', frame({ opcode: 1, payload: Buffer.from('hello'), masked: false })],
    ['RSV1 set without an extension', frame({ opcode: 1, payload: Buffer.from('hi'), rsv: 4 })],
    ['invalid UTF-8 in a text frame', frame({ opcode: 1, payload: Buffer.from([0xff, 0xfe, 0xc3, 0x28]) })],
    ['a control frame over 125 bytes', frame({ opcode: 9, payload: Buffer.alloc(200) })],
    ['a fragmented control frame', frame({ opcode: 9, payload: Buffer.from('p'), fin: false })],
  ])('%s closes that socket only', async (_what, bytes) => {
    // Another client stays connected through the attack.
    const bystander = new WebSocket(`ws://127.0.0.1:${srv.port}/api/events?token=${TOKEN}`, {
      headers: { host: `127.0.0.1:${srv.port}` },
    });
    await new Promise<void>((res, rej) => {
      bystander.on('open', () => res());
      bystander.on('error', rej);
    });
    expect(await sendAndWait(bytes)).toBe(true);
    expect(bystander.readyState).toBe(WebSocket.OPEN);
    bystander.close();
    await stillServes();
  });

  it('survives a bounded fuzz of random frames and bytes, then answers normally', async () => {
    const started = Date.now();
    const header = fc.record({
      opcode: fc.integer({ min: 0, max: 15 }),
      rsv: fc.integer({ min: 0, max: 7 }),
      fin: fc.boolean(),
      masked: fc.boolean(),
      payload: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          header.map((h) => frame(h)),
          fc
            .array(header, { minLength: 1, maxLength: 4 })
            .map((hs) => Buffer.concat(hs.map((h) => frame(h)))),
          fc.uint8Array({ minLength: 1, maxLength: 512 }).map((a) => Buffer.from(a)),
        ),
        async (bytes) => {
          await sendAndWait(bytes, 150);
        },
      ),
      { numRuns: 150, interruptAfterTimeLimit: 40_000 },
    );
    expect(Date.now() - started).toBeLessThan(60_000);
    await stillServes();
  }, 90_000);
});

describe('pvblk serve: HTTP', () => {
  it('answers bad percent-encoding with 400', async () => {
    for (const p of ['/%E0%A4%A', '/%', '/%zz', '/assets/%C0%AF'])
      expect((await http('GET', `${p}?token=${TOKEN}`)).status).toBe(400);
    await stillServes();
  });

  it('answers an oversized body with 413 (declared or streamed), not a reset', async () => {
    const big = Buffer.alloc(9 * 1024 * 1024, 0x20);
    const declared = await http('POST', '/api/listPresets', big, { 'content-type': 'application/json' });
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body).ok).toBe(false);
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: srv.port,
          agent: false,
          method: 'POST',
          path: '/api/validateSpec',
          headers: {
            host: `127.0.0.1:${srv.port}`,
            'x-pvblk-token': TOKEN,
            'content-type': 'application/json',
            'transfer-encoding': 'chunked',
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      const piece = Buffer.alloc(1024 * 1024, 0x20);
      let sent = 0;
      // 10 pieces of 1 MiB in all: every write counts, whether or not it filled the buffer.
      const pump = () => {
        while (sent < 10) {
          sent++;
          if (!req.write(piece)) {
            if (sent < 10) req.once('drain', pump);
            else req.end();
            return;
          }
        }
        req.end();
      };
      pump();
    });
    expect(chunked).toBe(413);
    await stillServes();
  });

  it('answers a body that is not JSON with 400', async () => {
    const r = await http('POST', '/api/listPresets', '{nope', { 'content-type': 'application/json' });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).error).toMatch(/JSON/);
  });
});

describe('pvblk serve: names and paths from input', () => {
  it('a matrix key through __proto__ does not pollute the server, which keeps answering', async () => {
    for (const key of ['__proto__.polluted', 'constructor.prototype.polluted', 'vms.0.__proto__.polluted']) {
      const spec = { name: 'p', duration_s: 1, vms: [{ name: 'a' }], matrix: { [key]: [1, 2] } };
      const r = await api('validateSpec', [spec]);
      expect(r.reply.ok).toBe(true);
      expect(r.reply.value).toMatchObject({ ok: false });
      const start = await api('startRun', [{ spec, pacing: 'max' }]);
      expect(start.reply.ok).toBe(false);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    await stillServes();
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'the inherited name %s is no preset and no disk',
    async (name) => {
      const p = await api('getPreset', [name]);
      expect(p.status).toBe(400);
      expect(p.reply.error).toMatch(/unknown preset/);
      const v = await api('validateSpec', [{ name: 'x', duration_s: 1, disk: { preset: name } }]);
      expect(v.reply.value).toMatchObject({ ok: false, errors: [{ path: 'disk' }] });
      const d = await api('characterizeDisk', [{ preset: name }]);
      expect(d.reply.ok).toBe(false);
      expect(d.reply.error).toMatch(/unknown preset/);
      await stillServes();
    },
  );

  it('refuses a 10^8-run matrix without building it', async () => {
    const matrix: Record<string, number[]> = {};
    for (let k = 0; k < 8; k++)
      matrix[
        `vms.0.threads.0.${['iodepth', 'think_ms', 'block_kb', 'ioprio', 'count', 'offset_gb', 'start_s', 'rwmix_read'][k]}`
      ] = [1, 2, 3, 4, 5, 6, 7, 1, 2, 3];
    const spec = { name: 'm', duration_s: 1, vms: [{ name: 'a', threads: [{ name: 't' }] }], matrix };
    const r = await api('validateSpec', [spec]);
    expect(r.reply.value).toMatchObject({
      ok: false,
      errors: [{ path: 'matrix', message: expect.stringMatching(/100000000 runs/) }],
    });
    await stillServes();
  });

  it('refuses to start a run over the cost limits unless the user confirmed it', async () => {
    const spec = {
      name: 'huge',
      duration_s: 86_400 * 7,
      sample_interval_ms: 1,
      disk: { preset: 'ssd-sata' },
      native: [{ name: 'r', count: 1000, size_gb: 0.1, iodepth: 32, block_kb: 4, pattern: 'random' }],
    };
    const v = await api('validateSpec', [spec]);
    const cost = (v.reply.value as { ok: true; cost: { over: string[]; summary: string } }).cost;
    expect(cost.over.length).toBeGreaterThan(0);
    const r = await api('startRun', [{ spec, pacing: 'max' }]);
    expect(r.status).toBe(400);
    expect(r.reply.error).toMatch(/too large/);
    expect(r.reply.error).toContain(cost.summary);
  });
});

describe('pvblk serve: startup', () => {
  it('names a port in use instead of throwing an unhandled error', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(startServer({ distDir: dist, port })).rejects.toThrow(
        new RegExp(`port ${port}: already in use`),
      );
    } finally {
      blocker.close();
    }
  });
});
