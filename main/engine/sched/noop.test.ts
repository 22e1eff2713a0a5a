import { describe, expect, it } from 'vitest';
import { MS } from '../core/time';
import { createNoop } from './noop';
import { SchedBench } from './testing';

describe('noop', () => {
  it('serves requests in arrival order', () => {
    const b = new SchedBench((env) => createNoop(env));
    b.sim.at(0, () => {
      b.submit(b.request(1, 5000, 8));
      b.submit(b.request(2, 100, 8));
      b.submit(b.request(3, 9000, 8));
    });
    b.run(100 * MS);
    expect(b.completed.map((c) => c.rq.ctx)).toEqual([1, 2, 3]);
  });

  it('back- and front-merges adjacent requests of any process', () => {
    const b = new SchedBench((env) => createNoop(env));
    b.sim.at(0, () => {
      b.submit(b.request(1, 0, 8)); // dispatched at once: the device is free
      b.submit(b.request(1, 1000, 8));
      b.submit(b.request(2, 1008, 8)); // back merge
      b.submit(b.request(3, 992, 8)); // front merge
    });
    b.run(100 * MS);
    expect(b.completed).toHaveLength(2);
    const merged = b.completed[1].rq;
    expect(merged.sector).toBe(992);
    expect(merged.sectors).toBe(24);
    expect(merged.units.map((u) => u.pid)).toEqual([3, 1, 2]);
  });
});
