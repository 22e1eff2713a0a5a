import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { HddSpec } from '../../common/spec/schema';
import { Simulator } from '../../engine/core/sim';
import { createDisk, DISK_PRESETS } from '../../engine/disk/index';
import { makeRequest } from '../../engine/disk/testing';
import type { ServiceInfo } from '../../engine/disk/types';
import { NbdClient } from './nbd-client';
import * as P from './nbd-protocol';
import { NbdPortInUse, NbdServer } from './nbd-server';

const SATA = DISK_PRESETS['sata-7200'].spec as HddSpec;
const PREFIX = 2048;

let servers: NbdServer[] = [];
let clients: NbdClient[] = [];

async function start(disk = SATA): Promise<{ srv: NbdServer; port: number }> {
  const srv = new NbdServer({ disk, exportName: 'pvblk', prefixSectors: PREFIX, suffixSectors: 64 });
  servers.push(srv);
  return { srv, port: await srv.listen(0) };
}

async function client(port: number): Promise<NbdClient> {
  const c = await NbdClient.open(port);
  clients.push(c);
  return c;
}

async function opened(port: number): Promise<NbdClient> {
  const c = await client(port);
  await c.greet();
  expect(await c.go('pvblk')).toBe(0);
  return c;
}

afterEach(async () => {
  for (const c of clients) c.destroy();
  for (const s of servers) await s.close();
  clients = [];
  servers = [];
});

describe('NBD handshake', () => {
  it('offers fixed newstyle and exports the model disk plus its metadata area via NBD_OPT_GO', async () => {
    const { srv, port } = await start();
    const c = await client(port);
    const flags = await c.greet();
    expect(flags & P.FLAG_FIXED_NEWSTYLE).toBe(P.FLAG_FIXED_NEWSTYLE);
    expect(await c.go('pvblk')).toBe(0);
    expect(c.size).toBe((PREFIX + srv.clock.capacitySectors + 64) * 512);
    expect(c.flags & P.TFLAG_SEND_FLUSH).toBeTruthy();
    expect(c.flags & P.TFLAG_ROTATIONAL).toBeTruthy();
  });

  it('supports NBD_OPT_EXPORT_NAME, NBD_OPT_LIST and refuses unknown options and exports', async () => {
    const { port } = await start();
    const c = await client(port);
    await c.greet();
    c.sendOption(P.OPT_LIST);
    const s = await c.optionReply();
    expect(s.type).toBe(P.REP_SERVER);
    expect(s.data.subarray(4).toString()).toBe('pvblk');
    expect((await c.optionReply()).type).toBe(P.REP_ACK);
    c.sendOption(8); // NBD_OPT_STRUCTURED_REPLY: not supported, simple replies only
    expect((await c.optionReply()).type).toBe(P.REP_ERR_UNSUP);
    expect(await c.go('other')).toBe(P.REP_ERR_UNKNOWN);
    await c.exportName('pvblk');
    expect(c.size).toBeGreaterThan(0);
    const r = await c.read(0, 512);
    expect(r.error).toBe(0);
  });

  it('closes on a client without fixed newstyle and on a bad option magic', async () => {
    const { port } = await start();
    const a = await client(port);
    await a.greet(0);
    await expect(a.recv(1)).rejects.toThrow(/closed/);
    const b = await client(port);
    await b.greet();
    b.send(Buffer.alloc(16, 0xee));
    await expect(b.recv(1)).rejects.toThrow(/closed/);
  });
});

describe('NBD transmission', () => {
  it('reads zeros, reads back what was written, and flushes', async () => {
    const { port } = await start();
    const c = await opened(port);
    const z = await c.read(PREFIX * 512 + 4096, 8192);
    expect(z.error).toBe(0);
    expect(z.data.equals(Buffer.alloc(8192))).toBe(true);
    const data = Buffer.alloc(12_288);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    expect((await c.write(PREFIX * 512 + 1536, data)).error).toBe(0);
    const back = await c.read(PREFIX * 512 + 1536, data.length);
    expect(back.data.equals(data)).toBe(true);
    expect((await c.flush()).error).toBe(0);
    // the metadata area (partition table) keeps what is written there too
    const gpt = Buffer.from('EFI PART');
    expect((await c.write(512, gpt)).error).toBe(0);
    expect((await c.read(512, 8)).data.toString()).toBe('EFI PART');
  });

  it('a flush completes only after the writes sent before it', async () => {
    const { port } = await start();
    const c = await opened(port);
    const order: string[] = [];
    const w = c.write(PREFIX * 512 + 50_000_000 * 512, Buffer.alloc(65_536)).then(() => order.push('write'));
    const f = c.flush().then(() => order.push('flush'));
    await Promise.all([w, f]);
    expect(order).toEqual(['write', 'flush']);
  });

  it('answers bad requests with an error and stays usable', async () => {
    const { srv, port } = await start();
    const c = await opened(port);
    const size = c.size;
    expect((await c.read(size - 512, 1024)).error).toBe(P.EINVAL);
    expect((await c.read(0, 0)).error).toBe(P.EINVAL);
    expect((await c.write(size, Buffer.alloc(512))).error).toBe(P.ENOSPC);
    expect((await c.request(9, 0, 512)).error).toBe(P.EINVAL);
    expect(srv.stats.badRequests).toBe(4);
    const ok = await c.read(0, 512);
    expect(ok.error).toBe(0);
  });

  it('ends the connection on a bad request magic', async () => {
    const { port } = await start();
    const c = await opened(port);
    const closed = new Promise<void>((r) => c.sock.once('close', () => r()));
    c.send(Buffer.alloc(P.REQUEST_HEADER, 1));
    await closed;
    expect(c.isClosed).toBe(true);
  });

  it('NBD_CMD_DISC answers outstanding requests first, then closes', async () => {
    const { port } = await start();
    const c = await opened(port);
    const r = c.read(PREFIX * 512 + 1_000_000 * 512, 65_536);
    await c.disconnect();
    expect((await r).error).toBe(0);
  });

  it('survives a client vanishing mid-request', async () => {
    const { srv, port } = await start();
    const c = await opened(port);
    void c.read(PREFIX * 512 + 2_000_000 * 512, 65_536);
    c.destroy();
    await new Promise((r) => setTimeout(r, 50));
    const d = await opened(port);
    expect((await d.read(0, 512)).error).toBe(0);
    expect(srv.stats.connections).toBe(2);
  });

  it('reports a port in use', async () => {
    const { port } = await start();
    const other = new NbdServer({ disk: SATA });
    await expect(other.listen(port)).rejects.toBeInstanceOf(NbdPortInUse);
    await other.close();
  });

  it('an incomplete handshake does not crash the server', async () => {
    const { port } = await start();
    await new Promise<void>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.write(Buffer.from([0, 0]));
        s.destroy();
        resolve();
      });
    });
    const c = await opened(port);
    expect((await c.read(0, 512)).error).toBe(0);
  });
});

describe('NBD server timing', () => {
  it('serves each request for the disk model’s service time, and the model replays identically', async () => {
    const { srv, port } = await start();
    const c = await opened(port);
    // serial random 4 KiB reads and sequential 64 KiB reads: seeks, rotation, cache hits
    let x = 12345;
    const rnd = () => {
      x = (x * 1103515245 + 12345) % 2147483648;
      return x / 2147483648;
    };
    const cap = srv.clock.capacitySectors;
    for (let i = 0; i < 30; i++) {
      const sector = i < 15 ? Math.floor(rnd() * (cap - 8)) : 5_000_000 + (i - 15) * 128;
      const len = i < 15 ? 4096 : 65_536;
      expect((await c.read((PREFIX + sector) * 512, len)).error).toBe(0);
    }
    const log = srv.clock.log;
    expect(log).toHaveLength(30);
    // the same arrivals through a fresh model give the same service intervals, to the ns
    const sim = new Simulator();
    const disk = createDisk(SATA, sim);
    const infos: ServiceInfo[] = [];
    disk.onComplete = (_rq, info) => infos.push({ ...info }); // a copy: the disk reuses its records
    for (const e of log) {
      sim.runUntil(e.arriveNs);
      disk.submit(makeRequest(e.op, e.sector, e.sectors));
      sim.runUntil(e.endNs);
    }
    expect(infos.map((i) => [i.startNs, i.endNs])).toEqual(log.map((e) => [e.startNs, e.endNs]));
    // random reads pay seek and rotation (milliseconds); the answer leaves at the model's end
    const random = log.slice(0, 15).map((e) => (e.endNs - e.startNs) / 1e6);
    expect(Math.min(...random)).toBeGreaterThan(0.5);
    const late = log.map((e) => (e.replyNs - e.endNs) / 1e6).sort((a, b) => a - b);
    expect(late[0]).toBeGreaterThanOrEqual(0);
    // timer resolution: polling below 1.5 ms; generous bound for a loaded machine
    expect(late[Math.floor(late.length / 2)]).toBeLessThan(2);
    for (const e of log) expect(e.startNs).toBeGreaterThanOrEqual(e.arriveNs);
  });

  it('holds queue_depth requests in the device and queues the rest in arrival order', async () => {
    const { srv, port } = await start({ ...SATA, queue_depth: 1 });
    const c = await opened(port);
    c.sock.cork(); // the three requests arrive together
    const rs = [0, 1, 2].map((k) => c.read((PREFIX + 1_000_000 * (k + 1)) * 512, 4096));
    c.sock.uncork();
    await Promise.all(rs);
    const log = srv.clock.log;
    expect(log.map((e) => e.queued)).toEqual([false, true, true]);
    // depth 1: service intervals never overlap
    for (let i = 1; i < log.length; i++) expect(log[i].startNs).toBeGreaterThanOrEqual(log[i - 1].endNs);
  });
});
