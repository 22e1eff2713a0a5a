/**
 * Writes timed as DiskSim 4.0 times them (github:benh/disksim at 1141f8d9, src/disksim_diskctlr.c):
 * the write-back buffer ("Fast write level") of the Seagate Cheetah 9LP and the extra write
 * disconnects of the HP C2247A, each expectation composed from DiskSim's own mechanism and the
 * presets' published parameters (data/published-disks.json, data/disksim-bus.json).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveDiskSpec } from '../../common/disk/resolve';
import type { HddSpec } from '../../common/spec/schema';
import { DiskBench, type Done } from './testing';

const ms = (x: number) => x * 1e6;
const response = (d: Done) => d.info.endNs - d.info.startNs;
// far apart, so that no request hits the cache and every one seeks
const FAR = [0, 9_000_000, 2_000_000, 12_000_000, 5_000_000, 15_000_000];

describe('DiskSim "Fast write level" (write-back): cheetah-9lp', () => {
  const ch = resolveDiskSpec({ preset: 'cheetah-9lp' }) as HddSpec;
  const o = ch.overheads!;
  const block = ch.bus!.write_block_ms * 1e6;

  it('the preset carries the level and the write-hit overheads from the .diskspecs', () => {
    expect(ch.cache?.fast_write).toBe(2);
    expect(o.write_hit_after_read_ms).toBe(0.748);
    expect(o.write_hit_after_write_ms).toBe(0.5);
  });

  it('a write on an idle drive completes once buffered: write-hit overhead + data preparation + bus', () => {
    // disk_write_arrive (connected): READY_TO_TRANSFER after the write-hit overhead and data prep;
    // disk_buffer_transfer_size returns 0 at the end of the data with fastwrites, so
    // disk_request_complete follows the transfer (+ "Write completion overhead")
    const [w] = new DiskBench(ch).closedLoop(1, 1, () => ({ op: 'write', sector: FAR[1], sectors: 8 }));
    expect(response(w)).toBeCloseTo(
      ms(o.write_hit_after_read_ms!) + ms(o.data_prep_ms) + 8 * block + ms(o.write_complete_ms),
      -1,
    );
    // the media write (positioning + media) happens after the completion, in the background
    expect(w.info.accessNs).toBeGreaterThan(response(w));
  });

  it('a write arriving while the drive still writes a non-adjacent one waits for the mechanism, then moves its data', () => {
    // disk_buffer_stopable_access is FALSE for a BUFFER_WRITING access unless the new write appends:
    // the write disconnects and reconnects (disk_check_bus) once the mechanism is released
    const bench = new DiskBench(ch);
    const [w1, w2] = bench.closedLoop(1, 2, (i) => ({ op: 'write', sector: FAR[i + 1], sectors: 8 }));
    // the first media write started after its command overhead (overhead_done) on an idle mechanism
    const media1End = w1.info.startNs + ms(o.write_hit_after_read_ms!) + w1.info.accessNs;
    expect(w2.info.startNs).toBeLessThan(media1End);
    const reconnect = ms(ch.bus!.arbitration_ms + o.reselect_ms + o.data_prep_ms);
    expect(w2.info.endNs - media1End).toBeCloseTo(reconnect + 8 * block + ms(o.write_complete_ms), -1);
    // busy time counts the background media write once
    expect(bench.disk.stats().busyNs).toBeGreaterThanOrEqual(media1End - w1.info.startNs);
  });

  it('a read miss after a buffered write waits for the media write (disk_check_hda)', () => {
    const [w, r] = new DiskBench(ch).closedLoop(1, 2, (i) => ({
      op: i === 0 ? 'write' : 'read',
      sector: FAR[i + 1],
      sectors: 8,
    }));
    const mediaEnd = w.info.startNs + ms(o.write_hit_after_read_ms!) + w.info.accessNs;
    // hold_read false, watermark 0 → one block at a time as the media reads it; the read starts
    // its seek when the write's media access ends
    const readStart = r.info.endNs - r.info.accessNs;
    expect(readStart).toBeGreaterThanOrEqual(mediaEnd - 1);
  });

  it('sequential writes append to the buffered one and complete at the bus rate (BUFFER_APPEND)', () => {
    const n = 20;
    const done = new DiskBench(ch).closedLoop(1, n, (i) => ({
      op: 'write',
      sector: 4096 + 128 * i,
      sectors: 128,
    }));
    // each after the first: "Write hit over. after write" + 128 blocks at 0.105 ms, whatever the media does
    for (const d of done.slice(1))
      expect(response(d)).toBeCloseTo(
        ms(o.write_hit_after_write_ms!) + 128 * block + ms(o.write_complete_ms),
        -1,
      );
  });

  it('level 1 (limited) appends only when no other request is queued; level 2 (full) always', () => {
    const seq = (level: 1 | 2) => {
      const spec: HddSpec = { ...ch, queue_depth: 4, cache: { ...ch.cache!, fast_write: level } };
      const done = new DiskBench(spec).closedLoop(3, 12, (i) => ({
        op: 'write',
        sector: 4096 + 8 * i,
        sectors: 8,
      }));
      return done.reduce((s, d) => s + response(d), 0) / done.length;
    };
    const appendAlways = ms(o.write_hit_after_write_ms!) + 8 * block;
    const full = seq(2);
    const limited = seq(1);
    expect(full).toBeLessThan(limited);
    // full: every request queued behind others still only waits for the bus transfers before it
    expect(full).toBeLessThan(3 * (appendAlways + ms(o.write_complete_ms)) + ms(1));
  });
});

describe('DiskSim disconnect and reselect overheads, extra write disconnects: hp-c2247a', () => {
  const hp = resolveDiskSpec({ preset: 'hp-c2247a' }) as HddSpec;
  const o = hp.overheads!;
  const x = o.extra_write_disconnect!;

  it('the preset carries the extradisc overheads and the write disconnect from the .diskspecs', () => {
    expect(hp.cache?.fast_write).toBe(0);
    expect(x).toEqual({
      command_ms: 0.64244,
      disconnect_ms: 0.04551,
      inter_disconnect_ms: 0.42885,
      disconnect2_ms: 0.13437,
      seek_delta_ms: 0.25,
    });
    expect(o.write_disconnect_ms).toBe(0.16565);
    expect(o.reselect_other_ms).toBe(0.12883);
  });

  /** What the controller and bus add to a write whose seek outlasts its bus transfer. */
  const added = (d: Done) => response(d) - d.info.accessNs;

  it('a write after a read: write-miss overhead, media, disconnect already done, first reselect, completion', () => {
    // disk_write_arrive (connected) → data; disk_buffer_transfer_size −1 (NO_FASTWRITE) → disconnect
    // ("Write disconnect overhead") while the media is written; reconnection with "First reselect
    // overhead" (disk_check_bus); disk_request_complete ("Write completion overhead")
    const [, w] = new DiskBench(hp).closedLoop(1, 2, (i) => ({
      op: i ? 'write' : 'read',
      sector: FAR[i],
      sectors: 8,
    }));
    expect(added(w)).toBeCloseTo(ms(o.write_miss_after_read_ms + o.reselect_ms + o.write_complete_ms), -1);
  });

  it('a write after a non-sequential write pays the extra disconnect: its own command overhead and seek delta, "Other reselect"', () => {
    // disk_buffer_select_segment flags EXTRA_WRITE_DISCONNECT; disk_write_arrive sets overhead_done =
    // extradisc command + seek delta; the final reconnection pays overhead_reselect_other
    const done = new DiskBench(hp).closedLoop(1, 3, (i) => ({ op: 'write', sector: FAR[i + 1], sectors: 8 }));
    expect(added(done[0])).toBeCloseTo(
      ms(o.write_miss_after_read_ms + o.reselect_ms + o.write_complete_ms),
      -1,
    );
    for (const w of done.slice(1))
      expect(added(w)).toBeCloseTo(
        ms(x.command_ms + x.seek_delta_ms + o.reselect_other_ms! + o.write_complete_ms),
        -1,
      );
  });

  it('a sequential write after a write has no extra disconnect', () => {
    const done = new DiskBench(hp).closedLoop(1, 3, (i) => ({
      op: 'write',
      sector: 800_000 + 8 * i,
      sectors: 8,
    }));
    // the next sector is under the head right after the previous write: the service is the
    // write-miss overhead after a write, the media wait, and no extradisc overheads
    for (const w of done.slice(1)) {
      const extraFree = ms(o.write_miss_after_write_ms + o.reselect_ms + o.write_complete_ms);
      expect(added(w)).toBeGreaterThanOrEqual(extraFree - ms(0.01));
      expect(added(w)).toBeLessThan(extraFree + ms(x.command_ms + x.seek_delta_ms));
    }
  });
});

describe('a write-back buffer on a drive without DiskSim timing (cache.fast_write on sata-7200)', () => {
  const sata = resolveDiskSpec({ preset: 'sata-7200' }) as HddSpec;
  const spec: HddSpec = { ...sata, cache: { ...sata.cache!, fast_write: 2 } };

  it('a write completes after the controller overhead and the interface transfer; the next waits for the media', () => {
    const [w1, w2] = new DiskBench(spec).closedLoop(1, 2, (i) => ({
      op: 'write',
      sector: FAR[i + 1],
      sectors: 8,
    }));
    const buffered = ms(sata.controller_overhead_ms) + (4096 / (sata.interface_mbps * 1e6)) * 1e9;
    expect(response(w1)).toBeCloseTo(buffered, -1);
    // the first media write started after the controller overhead
    const media1End = w1.info.startNs + ms(sata.controller_overhead_ms) + w1.info.accessNs;
    expect(w2.info.endNs - media1End).toBeCloseTo(buffered, -1);
    // write-through (the preset as it is): the write completes after its media write
    const [wt] = new DiskBench(sata).closedLoop(1, 1, () => ({ op: 'write', sector: FAR[1], sectors: 8 }));
    expect(response(wt)).toBeGreaterThan(wt.info.accessNs);
  });
});

describe('invariants of the DiskSim write timing under any mix of requests', () => {
  const presets = ['cheetah-9lp', 'cheetah-4lp', 'hp-c2247a', 'hp-c3323a'] as const;
  const op = fc.record({
    write: fc.boolean(),
    sector: fc.integer({ min: 0, max: 2_000_000 }),
    sectors: fc.constantFrom(1, 8, 64, 256),
    seq: fc.boolean(),
  });

  it('every request completes once, never before it started, within the busy time, the same way twice', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...presets),
        fc.constantFrom(1, 3),
        fc.array(op, { minLength: 1, maxLength: 40 }),
        (preset, depth, ops) => {
          const spec: HddSpec = { ...(resolveDiskSpec({ preset }) as HddSpec), queue_depth: depth };
          const run = () => {
            let next = 0;
            const bench = new DiskBench(spec);
            const done = bench.closedLoop(depth, ops.length, (i) => {
              const o = ops[i];
              const sector = o.seq ? next : o.sector;
              next = sector + o.sectors;
              return { op: o.write ? 'write' : 'read', sector, sectors: o.sectors };
            });
            return { done, busy: bench.disk.stats().busyNs };
          };
          const a = run();
          expect(a.done).toHaveLength(ops.length);
          expect(new Set(a.done.map((d) => d.rq.id)).size).toBe(ops.length);
          let last = 0;
          for (const d of a.done) {
            expect(d.info.startNs).toBeGreaterThanOrEqual(d.submitted);
            expect(d.info.endNs).toBeGreaterThan(d.info.startNs);
            last = Math.max(last, d.info.endNs);
          }
          expect(a.busy).toBeGreaterThan(0);
          // a buffered write's media access may end after the last completion, by less than a second
          expect(a.busy).toBeLessThanOrEqual(last + 1e9);
          const b = run();
          expect(b.done.map((d) => d.info.endNs)).toEqual(a.done.map((d) => d.info.endNs));
        },
      ),
      { numRuns: 40 },
    );
  });
});
