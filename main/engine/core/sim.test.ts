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

  it('keeps (time, scheduling order) with events due now, nested scheduling and cancellations', () => {
    // A reference: every event in one list, the earliest (time, seq) first, cancelled ones skipped.
    const opArb = fc.record({
      delay: fc.constantFrom(0, 0, 0, 1, 2, 5),
      cancel: fc.integer({ min: -1, max: 30 }),
      spawn: fc.integer({ min: 0, max: 2 }),
    });
    fc.assert(
      fc.property(
        fc.array(opArb, { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 0, max: 3 }),
        (ops, big) => {
          const run = (reference: boolean) => {
            const sim = new Simulator();
            const ref: { t: number; seq: number; fn: () => void; dead: boolean }[] = [];
            let seq = 0;
            let now = 0;
            const ran: string[] = [];
            const handles: ({ cancel(): void } | null)[] = [];
            let next = 0;
            const schedule = (depth: number) => {
              if (next >= ops.length) return;
              const id = next++;
              const op = ops[id];
              const fn = () => {
                ran.push(`${id}@${reference ? now : sim.now}`);
                const target = handles[op.cancel];
                if (op.cancel >= 0 && target) target.cancel();
                for (let k = 0; k < op.spawn && depth < 6; k++) schedule(depth + 1);
              };
              const cancellable = id % 3 === 0;
              if (reference) {
                const e = { t: now + op.delay, seq: seq++, fn, dead: false };
                ref.push(e);
                handles[id] = cancellable ? { cancel: () => (e.dead = true) } : null;
              } else if (cancellable) {
                const h = sim.after(op.delay, fn);
                handles[id] = { cancel: () => sim.cancel(h) };
              } else {
                if (op.delay === 0 && id % 2) sim.postAt(sim.now, fn);
                else sim.post(op.delay, fn);
                handles[id] = null;
              }
            };
            // Enough events up front to push some heaps past the in-place cancellation limit.
            for (let i = 0; i < 4 + big * 30; i++) schedule(0);
            if (reference)
              for (;;) {
                let best = -1;
                for (let i = 0; i < ref.length; i++)
                  if (
                    !ref[i].dead &&
                    (best < 0 ||
                      ref[i].t < ref[best].t ||
                      (ref[i].t === ref[best].t && ref[i].seq < ref[best].seq))
                  )
                    best = i;
                if (best < 0) break;
                const e = ref[best];
                ref.splice(best, 1);
                now = e.t;
                e.fn();
              }
            else sim.runUntil(1000);
            return ran;
          };
          expect(run(false)).toEqual(run(true));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rearm runs as cancel + after would, in small and large heaps, and a stale entry never fires', () => {
    for (const filler of [3, 200]) {
      const order = (reuse: boolean) => {
        const sim = new Simulator();
        const ran: string[] = [];
        for (let i = 0; i < filler; i++) sim.postAt(1 + (i % 40), () => ran.push(`f${i}`));
        const fire = () => ran.push(`timer@${sim.now}`);
        let h = sim.after(30, fire);
        sim.postAt(5, () => {
          sim.cancel(h); // pending: cancelled (in place, or marked in the large heap)
          h = reuse ? sim.rearm(h, 10) : sim.after(10, fire);
          sim.post(10, () => ran.push('same instant, later'));
        });
        sim.postAt(20, () => {
          h = reuse ? sim.rearm(h, 0) : sim.after(0, fire); // fired: armed again
        });
        sim.postAt(25, () => {
          h = reuse ? sim.rearm(h, 7) : sim.after(7, fire); // fired: armed again
        });
        sim.postAt(28, () => {
          if (reuse)
            h = sim.rearm(h, 10); // pending: moved
          else {
            sim.cancel(h);
            h = sim.after(10, fire);
          }
        });
        sim.runUntil(100);
        return { ran, done: h.done };
      };
      const want = order(false);
      expect(order(true)).toEqual(want);
      expect(want.ran.filter((r) => r.startsWith('timer'))).toEqual(['timer@15', 'timer@20', 'timer@38']);
    }
  });
});
