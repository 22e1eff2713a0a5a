/**
 * Property test of the API handler, in process: whatever method name and arguments arrive (random
 * JSON, keys like `__proto__` and `constructor`, mutated specs, matrix paths through prototypes),
 * a call answers or fails with a refusal carrying a message — never a TypeError or a stack — and
 * leaves Object.prototype as it was.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { API_METHODS } from '../../common/api';
import { createApiHandler } from './api-handler';
import { SessionManager } from './manager';

const manager = new SessionManager();
const call = createApiHandler(manager);
afterAll(() => manager.close());

// startRun, verifyImport and activityWindow start simulations (tested on their own); the rest answer at once.
const METHODS = API_METHODS.filter((m) => m !== 'startRun' && m !== 'verifyImport' && m !== 'activityWindow');
const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty'];
const key = fc.oneof(fc.constantFrom(...HOSTILE_KEYS), fc.string({ maxLength: 12 }));
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    fc.string({ maxLength: 20 }),
    fc.constantFrom(...HOSTILE_KEYS),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  ),
})).value;
const path = fc
  .array(
    fc.oneof(
      fc.constantFrom(...HOSTILE_KEYS, 'vms', 'threads', 'native', '0', '*', 'name', 'disk', 'preset'),
      fc.string({ maxLength: 6 }),
    ),
    {
      minLength: 1,
      maxLength: 5,
    },
  )
  .map((p) => p.join('.'));
const spec = fc.record(
  {
    name: fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom(...HOSTILE_KEYS)),
    duration_s: fc.oneof(fc.double({ min: -1, max: 1e7 }), fc.constant(1)),
    disk: fc.oneof(
      fc.record({ preset: fc.oneof(fc.constantFrom(...HOSTILE_KEYS, 'sata-7200'), fc.string()) }),
      json,
    ),
    host: fc.oneof(
      fc.record({
        scheduler: fc.constantFrom('cfq', 'bfq', 'noop', '__proto__'),
        params: fc.dictionary(key, fc.double()),
      }),
      json,
    ),
    vms: fc.array(
      fc.record({
        name: fc.string({ minLength: 1, maxLength: 5 }),
        threads: fc.array(fc.record({ name: fc.constant('t') }), { maxLength: 2 }),
      }),
      { maxLength: 2 },
    ),
    matrix: fc.dictionary(
      path,
      fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.boolean()), {
        minLength: 1,
        maxLength: 3,
      }),
      { maxKeys: 3 },
    ),
  },
  { requiredKeys: ['name'] },
);
const args = fc.oneof(
  fc.array(json, { maxLength: 3 }),
  fc.tuple(spec),
  fc.tuple(fc.constantFrom(...HOSTILE_KEYS)),
  json,
);

describe('API handler (property)', () => {
  it('answers or refuses with a message, for any method and arguments, and never pollutes prototypes', async () => {
    const protoKeys = Object.getOwnPropertyNames(Object.prototype).sort();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constantFrom(...METHODS), fc.constantFrom(...HOSTILE_KEYS), fc.string({ maxLength: 10 })),
        args,
        async (method, a) => {
          try {
            await call(method, a);
          } catch (e) {
            // A refusal (ApiError, or the session manager's "no active run"): a message, never a
            // programming error and never a stack trace.
            if (
              !(e instanceof Error) ||
              e instanceof TypeError ||
              e instanceof RangeError ||
              e instanceof ReferenceError
            )
              throw e;
            expect(e.message.length).toBeGreaterThan(0);
            expect(e.message).not.toMatch(/\n\s+at /);
          }
          expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoKeys);
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        },
      ),
      { numRuns: 400 },
    );
  }, 120_000);

  it('validateSpec with matrix paths through prototypes names the field and changes nothing', async () => {
    for (const k of [
      '__proto__.polluted',
      'constructor.prototype.polluted',
      'vms.0.__proto__.polluted',
      'host.__proto__',
    ]) {
      const r = (await call('validateSpec', [
        { name: 'p', duration_s: 1, vms: [{ name: 'a' }], matrix: { [k]: [1] } },
      ])) as {
        ok: boolean;
        errors: { path: string; message: string }[];
      };
      expect(r.ok).toBe(false);
      expect(r.errors[0].path).toBe(`matrix.${k}`);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
