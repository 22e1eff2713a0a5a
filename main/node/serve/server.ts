/**
 * Browser mode (`pvblk serve`): serves the built renderer and the API on 127.0.0.1 only.
 * - POST /api/<method> with JSON body { args: [...] } → { ok, value } | { ok: false, error }
 * - WebSocket /api/events → { runId, event } messages
 * Every request must carry the per-start random token: `?token=` (first page load, which also sets
 * an HttpOnly SameSite=Strict cookie), the `x-pvblk-token` header, or that cookie. Anything else is 403.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type WebSocket, WebSocketServer } from 'ws';
import { z } from 'zod';
import { BUNDLE_METHODS, type CallReply, MAX_BUNDLE_BODY } from '../../common/api';
import { ApiError, createApiHandler } from '../session/api-handler';
import { SessionManager } from '../session/manager';

export interface ServerOptions {
  port?: number;
  distDir?: string;
  /** Wall time between streamed batches (ms). */
  batchMs?: number;
  /** Fixed access token (tests only); random per start by default. At least 16 characters. */
  token?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

const MAX_BODY = 8 * 1024 * 1024;
/** How much of an oversized body is drained before the 413, so the client can read it. */
const DRAIN_MAX = 64 * 1024 * 1024;
/** Largest WebSocket message a client may send (the channel is one-way; clients send nothing). */
export const WS_MAX_PAYLOAD = 64 * 1024;

/** The server could not start (port in use, not allowed): a message naming the port. */
export class ServeError extends Error {
  override readonly name = 'ServeError';
}

/** A request refused before it reaches the API (status 400 or 413). */
class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text || '{}');
  } catch (e) {
    throw new RequestError(400, `body is not JSON (${(e as Error).message})`);
  }
};
/** The bundle methods carry a whole bundle (64 MiB at most, as base64). */
const bodyLimit = (method: string) =>
  (BUNDLE_METHODS as readonly string[]).includes(method) ? MAX_BUNDLE_BODY : MAX_BODY;
const CallBody = z.strictObject({ args: z.array(z.unknown()).max(8) });

function defaultDistDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    join(here, '..', 'renderer'),
    join(here, '..', '..', 'renderer'),
    join(here, '..', '..', '..', 'out', 'renderer'),
  ];
  return candidates.find((p) => existsSync(join(p, 'index.html'))) ?? candidates[0];
}

function cspFor(port: number): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ws://127.0.0.1:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');
}

export async function startServer(opts: ServerOptions = {}): Promise<RunningServer> {
  const token = opts.token && opts.token.length >= 16 ? opts.token : randomBytes(24).toString('base64url');
  const tokenBuf = Buffer.from(token);
  const distDir = resolve(opts.distDir ?? defaultDistDir());
  const sockets = new Set<WebSocket>();
  const manager = new SessionManager({
    batchMs: opts.batchMs,
    // the most any open event socket still has to send: a slow browser slows a live run down
    backlog: () => {
      let most = 0;
      for (const ws of sockets) if (ws.bufferedAmount > most) most = ws.bufferedAmount;
      return most;
    },
  });
  const call = createApiHandler(manager);
  let port = 0;

  const tokenOk = (t: string | null | undefined) => {
    if (!t) return false;
    const b = Buffer.from(t);
    return b.length === tokenBuf.length && timingSafeEqual(b, tokenBuf);
  };
  const cookieToken = (req: IncomingMessage) => {
    const m = /(?:^|;\s*)pvblk_token=([^;]+)/.exec(req.headers.cookie ?? '');
    return m ? m[1] : null;
  };
  const hostOk = (req: IncomingMessage) => {
    const h = req.headers.host;
    return h === `127.0.0.1:${port}` || h === `localhost:${port}`;
  };
  const originOk = (req: IncomingMessage) => {
    const o = req.headers.origin;
    return o === undefined || o === `http://127.0.0.1:${port}` || o === `http://localhost:${port}`;
  };
  const authorized = (req: IncomingMessage, url: URL) =>
    hostOk(req) &&
    originOk(req) &&
    (tokenOk(url.searchParams.get('token')) ||
      tokenOk(req.headers['x-pvblk-token'] as string | undefined) ||
      tokenOk(cookieToken(req)));

  const send = (
    res: ServerResponse,
    status: number,
    body: string | Buffer,
    type = 'text/plain; charset=utf-8',
  ) => {
    res.writeHead(status, {
      'content-type': type,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'content-security-policy': cspFor(port),
    });
    res.end(body);
  };

  /**
   * The body as text, or a RequestError: 413 when it is larger than `limit` (declared or sent). The
   * rest of an oversized body is drained, not read, and the 413 is given once the client has sent it
   * all, so the client reads the 413 instead of failing its writes on a closed socket; a client that
   * keeps sending past `limit + DRAIN_MAX` is refused at once (the socket closes after the 413).
   */
  const readBody = (req: IncomingMessage, limit: number) =>
    new Promise<string>((res, rej) => {
      const tooLarge = () => new RequestError(413, `request body larger than ${limit} bytes`);
      const declared = Number(req.headers['content-length'] ?? 0);
      let size = 0;
      let over = declared > limit;
      const chunks: Buffer[] = [];
      const onData = (c: Buffer) => {
        size += c.length;
        if (!over && size <= limit) {
          chunks.push(c);
          return;
        }
        over = true;
        chunks.length = 0;
        if (size > limit + DRAIN_MAX) {
          req.off('data', onData);
          req.resume();
          rej(tooLarge());
        }
      };
      if (over && declared > limit + DRAIN_MAX) {
        req.resume();
        rej(tooLarge());
        return;
      }
      req.on('data', onData);
      req.on('end', () => (over ? rej(tooLarge()) : res(Buffer.concat(chunks).toString('utf8'))));
      req.on('error', rej);
    });

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (!authorized(req, url)) return send(res, 403, 'forbidden');
      if (url.pathname.startsWith('/api/')) {
        if (req.method !== 'POST') return send(res, 405, 'method not allowed');
        if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
          return send(res, 415, 'json only');
        const method = url.pathname.slice('/api/'.length);
        let reply: CallReply;
        let status = 200;
        try {
          const body = CallBody.safeParse(parseJson(await readBody(req, bodyLimit(method))));
          if (!body.success) throw new ApiError('body must be { "args": [...] }');
          reply = { ok: true, value: (await call(method, body.data.args)) ?? null };
        } catch (err) {
          status = err instanceof RequestError ? err.status : 400;
          reply = { ok: false, error: err instanceof Error ? err.message : String(err) };
        }
        if (status === 413) res.setHeader('connection', 'close');
        return send(res, status, JSON.stringify(reply), MIME['.json']);
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed');
      let rel: string;
      try {
        rel = decodeURIComponent(url.pathname);
      } catch {
        return send(res, 400, 'bad percent-encoding in the path');
      }
      if (rel === '/' || rel === '') rel = '/index.html';
      const file = normalize(join(distDir, rel));
      if (!file.startsWith(distDir + sep)) return send(res, 403, 'forbidden');
      const st = await stat(file).catch(() => null);
      if (!st?.isFile()) return send(res, 404, 'not found');
      const data = await readFile(file);
      if (tokenOk(url.searchParams.get('token'))) {
        res.setHeader('set-cookie', `pvblk_token=${token}; HttpOnly; SameSite=Strict; Path=/`);
      }
      return send(res, 200, data, MIME[extname(file)] ?? 'application/octet-stream');
    } catch (err) {
      if (res.headersSent) res.destroy();
      else send(res, 500, err instanceof Error ? err.message : 'error');
    }
  });
  // A malformed request line or header: 400 and close that connection (Node's default), never a throw.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD });
  // A bad frame (oversized, reserved opcode, unmasked, RSV bits, invalid UTF-8) is an 'error' on
  // that one socket: ws has already sent the close code (1002/1007/1009); drop the socket, nothing else.
  wss.on('error', () => {});
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://127.0.0.1');
    } catch {
      url = new URL('http://127.0.0.1/');
    }
    if (url.pathname !== '/api/events' || !authorized(req, url)) {
      socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('error', () => {
        sockets.delete(ws);
        ws.terminate();
      });
      ws.on('close', () => sockets.delete(ws));
      // The event channel is one-way; anything a client sends is ignored.
      ws.on('message', () => {});
    });
  });
  const unsubscribe = manager.onEvent((e) => {
    const msg = JSON.stringify(e);
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(msg);
  });

  await new Promise<void>((res, rej) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      const what = `127.0.0.1:${opts.port ?? 0}`;
      rej(
        e.code === 'EADDRINUSE'
          ? new ServeError(`port ${opts.port}: already in use (try another --port, or 0 for any free one)`)
          : e.code === 'EACCES'
            ? new ServeError(`port ${opts.port}: not allowed to listen there (ports below 1024 need root)`)
            : new ServeError(`${what}: cannot listen (${e.code ?? e.message})`),
      );
    });
    server.listen(opts.port ?? 0, '127.0.0.1', () => res());
  });
  server.on('error', () => {});
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/?token=${token}`;

  return {
    url,
    port,
    token,
    async close() {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      await manager.close();
      const closed = new Promise<void>((res) => server.close(() => res()));
      server.closeAllConnections();
      await closed;
    },
  };
}
