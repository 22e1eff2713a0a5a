import { describe, expect, it } from 'vitest';
import { parseSpec } from '../../common/spec/validate';
import { presetSpec } from '../../engine/presets/index';
import { planRun } from './plan';

const GIB = 1024 ** 3;

describe('real-disk plan', () => {
  it('scales images to the cap and thread regions with them, one I/O thread per host context', () => {
    const spec = parseSpec({ ...presetSpec('paper-fairness'), matrix: undefined });
    const p = planRun(spec, 'abc', 2, 1);
    expect(p.files.map((f) => f.name)).toEqual(['pvblk-abc-qemu-A.img', 'pvblk-abc-qemu-B.img']);
    expect(p.files.map((f) => f.bytes)).toEqual([2 * GIB, 2 * GIB]);
    expect(p.scale).toEqual([0.05, 0.05]);
    const b = p.processes[1];
    // four readers of 4 GiB each in a 40 GiB image → 0.2 GiB each in a 2 GiB file, back to back
    expect(b.threads.map((t) => t.regionBytes)).toEqual(
      Array(4).fill(Math.floor((0.2 * GIB) / 65536) * 65536),
    );
    expect(b.threads.map((t) => t.regionStart / GIB)).toEqual(
      [0, 0.2, 0.4, 0.6].map((x) => expect.closeTo(x, 3)),
    );
    for (const t of b.threads) expect(t.regionStart % 4096).toBe(0);
    expect(b.workers).toHaveLength(1);
    expect(b.workers[0].serves).toEqual([0, 1, 2, 3]);
  });

  it('contexts per mapping: pool shares one queue, vpid-hash buckets, native threads own files', () => {
    const spec = parseSpec({
      name: 'm',
      duration_s: 1,
      vms: [
        { name: 'P', mapping: 'pool', pool_threads: 3, threads: [{ name: 't', count: 5, size_gb: 1 }] },
        { name: 'H', mapping: 'vpid-hash', hash_buckets: 2, threads: [{ name: 't', count: 5, size_gb: 1 }] },
      ],
      native: [{ name: 'n', count: 2, size_gb: 0.5 }],
    });
    const p = planRun(spec, 'x', 0.25, 1);
    const [pool, hash, native] = p.processes;
    expect(pool.workers).toHaveLength(3);
    expect(new Set(pool.workers.map((w) => w.lock)).size).toBe(1);
    expect(pool.workers.every((w) => w.serves.length === 5)).toBe(true);
    expect(hash.workers).toHaveLength(2);
    expect(hash.workers.flatMap((w) => w.serves).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(native.workers).toHaveLength(2);
    expect(native.threads.map((t) => t.file)).toEqual(['pvblk-x-native-n.0.img', 'pvblk-x-native-n.1.img']);
    expect(p.files.map((f) => f.bytes)).toEqual([0.25 * GIB, 0.25 * GIB, 0.25 * GIB, 0.25 * GIB]);
    for (const t of native.threads) expect(t.regionStart + t.regionBytes).toBeLessThanOrEqual(0.25 * GIB);
  });
});
