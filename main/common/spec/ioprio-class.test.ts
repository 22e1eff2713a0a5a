import { describe, expect, it } from 'vitest';
import { parseSpec, SpecValidationError } from './validate';

const spec = (thread: Record<string, unknown>) => ({
  name: 'x',
  duration_s: 1,
  vms: [{ name: 'A', threads: [{ name: 'r' }, { name: 's', ...thread }] }],
});

describe('thread ioprio_class', () => {
  it('is optional (absent = best-effort, not filled in) and accepts rt / be / idle', () => {
    expect(parseSpec(spec({})).vms[0].threads[1]).not.toHaveProperty('ioprio_class');
    for (const c of ['rt', 'be', 'idle'])
      expect(parseSpec(spec({ ioprio_class: c, ioprio: 0 })).vms[0].threads[1].ioprio_class).toBe(c);
  });

  it('names the path of an invalid class', () => {
    try {
      parseSpec(spec({ ioprio_class: 'realtime' }));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SpecValidationError);
      expect((e as SpecValidationError).errors.map((x) => x.path)).toEqual(['vms.0.threads.1.ioprio_class']);
    }
  });
});
