import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { find, insertAt, removeAt, removeItem } from './array';

describe('cfq small-array edits', () => {
  it('do what splice and indexOf do', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('insert' as const),
        at: fc.nat(),
        value: fc.integer({ min: 0, max: 9 }),
      }),
      fc.record({ kind: fc.constant('removeAt' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('removeItem' as const), value: fc.integer({ min: 0, max: 9 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const a: number[] = [];
        const b: number[] = [];
        for (const o of ops) {
          if (o.kind === 'insert') {
            const i = o.at % (a.length + 1);
            insertAt(a, i, o.value);
            b.splice(i, 0, o.value);
          } else if (o.kind === 'removeAt') {
            if (a.length === 0) continue;
            const i = o.at % a.length;
            removeAt(a, i);
            b.splice(i, 1);
          } else {
            expect(find(a, o.value)).toBe(b.indexOf(o.value));
            removeItem(a, o.value);
            const j = b.indexOf(o.value);
            if (j >= 0) b.splice(j, 1);
          }
          expect(a).toEqual(b);
        }
      }),
    );
  });
});
