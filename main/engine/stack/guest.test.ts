import { describe, expect, it } from 'vitest';
import { Simulator } from '../core/sim';
import { type BlockRequest, newUnit } from '../io/request';
import { createScheduler } from '../sched/index';
import { GuestBlockLayer } from './guest';

function guest(scheduler: 'noop' | 'cfq' | 'deadline', reuse: boolean) {
  const sim = new Simulator();
  const out: BlockRequest[] = [];
  const g = new GuestBlockLayer(
    sim,
    4,
    (env) => createScheduler(scheduler, env),
    (rq) => out.push(rq),
    [],
    reuse,
  );
  return { g, out };
}

describe('GuestBlockLayer request reuse', () => {
  it('a released request comes back as the next submit, made new (id, sector, its one unit)', () => {
    const { g, out } = guest('noop', true);
    const u1 = newUnit(1, 'read', true, 800, 8, 0, 7, 0, 0);
    g.submit(u1);
    const first = out[0];
    g.complete(first);
    g.release(first);
    const u2 = newUnit(2, 'write', false, 64, 16, 1, 9, 0, 0);
    g.submit(u2);
    expect(out[1]).toBe(first);
    expect(out[1]).toMatchObject({
      id: 2,
      op: 'write',
      sync: false,
      sector: 64,
      sectors: 16,
      ctx: 9,
      group: 0,
    });
    expect(out[1].units).toEqual([u2]);
  });

  it('without reuse every submit builds a new request', () => {
    const { g, out } = guest('deadline', false);
    g.submit(newUnit(1, 'read', true, 800, 8, 0, 7, 0, 0));
    g.complete(out[0]);
    g.release(out[0]);
    g.submit(newUnit(2, 'read', true, 808, 8, 0, 7, 0, 0));
    expect(out[1]).not.toBe(out[0]);
    expect(out[0].units).toHaveLength(1);
  });
});
