import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Simulator } from './sim';

describe('Simulator (event core)', () => {
  it('runs events in (time, scheduling order) for any schedule, growing past its first slots', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 400 }), (times) => {
        const sim = new Simulator();
        const ran: number[] = [];
        times.forEach((t, i) => {
          if (i % 2) sim.postAt(t, () => ran.push(i));
          else sim.at(t, () => ran.push(i));
        });
        sim.runUntil(100);
        const want = times.map((t, i) => [t, i]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        expect(ran).toEqual(want.map((x) => x[1]));
        expect(sim.executed).toBe(times.length);
      }),
    );
  });

  it('skips cancelled timers and marks fired ones done', () => {
    const sim = new Simulator();
    const ran: string[] = [];
    const a = sim.at(10, () => ran.push('a'));
    const b = sim.after(5, () => ran.push('b'));
    sim.post(7, () => ran.push('c'));
    sim.cancel(a);
    sim.runUntil(20);
    expect(ran).toEqual(['b', 'c']);
    expect(a.done && b.done).toBe(true);
    expect(sim.now).toBe(20);
    expect(sim.peekTime()).toBe(Number.POSITIVE_INFINITY);
  });

  it('an event under a reserved sequence number runs where it would have run if scheduled at the reservation', () => {
    const order = (lazy: boolean) => {
      const sim = new Simulator();
      const ran: string[] = [];
      sim.postAt(10, () => ran.push('early'));
      let first = 0;
      if (lazy) first = sim.reserveSeq(2);
      else {
        sim.postAt(10, () => ran.push('sample 1'));
        sim.postAt(20, () => ran.push('sample 2'));
      }
      sim.postAt(5, () => {
        // scheduled later, at the same instants as the samples
        sim.postAt(10, () => ran.push('late 10'));
        sim.postAt(20, () => ran.push('late 20'));
        if (lazy)
          sim.postReserved(10, first, () => {
            ran.push('sample 1');
            sim.postReserved(20, first + 1, () => ran.push('sample 2'));
          });
      });
      sim.runUntil(30);
      return ran;
    };
    expect(order(true)).toEqual(order(false));
    expect(order(false)).toEqual(['early', 'sample 1', 'late 10', 'sample 2', 'late 20']);
  });
});
