/** setPath and validateSpec with hostile paths, and the cap on reported errors. */
import { describe, expect, it } from 'vitest';
import { capErrors, MAX_REPORTED_ERRORS, setPath, validateSpec } from './validate';

describe('setPath', () => {
  it.each([
    '__proto__.polluted',
    'constructor.prototype.polluted',
    'a.__proto__.polluted',
    'prototype',
    'a.constructor',
  ])('refuses the path %s and changes nothing', (path) => {
    const obj = { a: { b: 1 } };
    expect(setPath(obj, path, 1)).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(obj).toEqual({ a: { b: 1 } });
  });

  it('follows own fields only (not inherited ones like toString), and still sets arrays and *', () => {
    const obj = { a: { b: 1 }, list: [{ x: 1 }, { x: 2 }] };
    expect(setPath(obj, 'toString.x', 1)).toBe(false);
    expect(setPath(obj, 'a.hasOwnProperty.x', 1)).toBe(false);
    expect(setPath(obj, 'a.b', 2)).toBe(true);
    expect(setPath(obj, 'list.*.x', 5)).toBe(true);
    expect(obj).toEqual({ a: { b: 2 }, list: [{ x: 5 }, { x: 5 }] });
  });
});

describe('validateSpec', () => {
  it('names a matrix key through a prototype as an error of that key', () => {
    const r = validateSpec(
      JSON.parse('{"name":"x","duration_s":1,"matrix":{"__proto__.polluted":[1],"constructor.x":[2]}}'),
    );
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.errors.map((e) => e.path)).toEqual(['matrix.__proto__.polluted', 'matrix.constructor.x']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('counts a matrix before copying anything: 10^8 runs are refused at once', () => {
    const matrix = Object.fromEntries(
      Array.from({ length: 8 }, (_, i) => [`seed_${i}`, Array.from({ length: 10 }, (_, j) => j)]),
    );
    expect(validateSpec({ name: 'x', duration_s: 1, matrix })).toEqual({
      ok: false,
      errors: [{ path: 'matrix', message: '100000000 runs; at most 1000' }],
    });
  });

  it(`reports at most ${MAX_REPORTED_ERRORS} errors and a count of the rest`, () => {
    const native = Array.from({ length: 5000 }, (_, i) => ({ name: `t${i}`, iodepth: 0 }));
    const r = validateSpec({ name: 'x', duration_s: 1, native });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toHaveLength(MAX_REPORTED_ERRORS + 1);
    expect(r.errors.at(-1)?.message).toBe(`… and ${5000 - MAX_REPORTED_ERRORS} more errors (5000 in all)`);
    expect(capErrors(r.errors.slice(0, 3))).toHaveLength(3);
  });
});
