import { describe, expect, it } from 'vitest';
import { lazyTable, nullProto, ownValue } from './own';

describe('lazyTable', () => {
  it('builds an entry on first use, once, and lists keys as the built table would', () => {
    const built: string[] = [];
    const t = lazyTable<number>(
      ['b', 'a', 'c'].map(
        (k, i) =>
          [
            k,
            () => {
              built.push(k);
              return i * 10;
            },
          ] as const,
      ),
    );
    expect(Object.keys(t)).toEqual(['b', 'a', 'c']);
    expect(built).toEqual([]);
    expect(t.a).toBe(10);
    expect(t.a).toBe(10);
    expect(built).toEqual(['a']);
    expect(Object.entries(t)).toEqual([
      ['b', 0],
      ['a', 10],
      ['c', 20],
    ]);
    expect(built).toEqual(['a', 'b', 'c']);
    expect(t).toEqual(nullProto({ b: 0, a: 10, c: 20 }));
  });

  it('has no prototype: inherited names are not entries', () => {
    const t = lazyTable([['x', () => 1] as const]);
    expect(ownValue(t, 'constructor')).toBeUndefined();
    expect(ownValue(t, 'toString')).toBeUndefined();
    expect(ownValue(t, 'x')).toBe(1);
    expect(Object.getPrototypeOf(t)).toBeNull();
  });

  it('a builder that throws throws at the lookup, and the entry is tried again next time', () => {
    let n = 0;
    const t = lazyTable([
      [
        'bad',
        () => {
          n++;
          throw new Error('broken data');
        },
      ] as const,
    ]);
    expect(() => t.bad).toThrow('broken data');
    expect(() => t.bad).toThrow('broken data');
    expect(n).toBe(2);
    expect(Object.keys(t)).toEqual(['bad']);
  });
});
