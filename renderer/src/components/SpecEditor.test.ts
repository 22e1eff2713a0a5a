// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import SpecEditor from './SpecEditor.vue';

const spec = {
  name: 'two-vms',
  duration_s: 10,
  host: { scheduler: 'cfq', params: {} },
  vms: [
    { name: 'A', mapping: 'vm', threads: [{ name: 'r', count: 1 }] },
    { name: 'B', mapping: 'vm', threads: [{ name: 'r', count: 4 }] },
  ],
};
const text = JSON.stringify(spec, null, 2);
const props = { text, errors: [], parseError: null, validating: false };

function lastText(w: ReturnType<typeof mount>): Record<string, unknown> {
  const ev = w.emitted('update:text');
  expect(ev).toBeTruthy();
  return JSON.parse((ev!.at(-1) as [string])[0]) as Record<string, unknown>;
}

describe('SpecEditor', () => {
  it('renders the VM mapping and thread-count form from the JSON', () => {
    const w = mount(SpecEditor, { props });
    expect(w.find('[data-testid="vm-0-mapping"]').exists()).toBe(true);
    expect((w.find('[data-testid="vm-1-thread-0-count"]').element as HTMLInputElement).value).toBe('4');
    expect(w.find('[data-testid="spec-ok"]').text()).toBe('spec is valid');
  });

  it('emits updated JSON when the mapping or thread count changes', async () => {
    const w = mount(SpecEditor, { props });
    await w.find('[data-testid="vm-1-mapping"]').setValue('vpid');
    expect((lastText(w).vms as { mapping: string }[])[1].mapping).toBe('vpid');
    await w.find('[data-testid="vm-0-thread-0-count"]').setValue('3');
    await w.find('[data-testid="vm-0-thread-0-count"]').trigger('change');
    expect((lastText(w).vms as { threads: { count: number }[] }[])[0].threads[0].count).toBe(3);
  });

  it('shows validation errors naming the field path and marks the field', async () => {
    const w = mount(SpecEditor, {
      props: { ...props, errors: [{ path: 'vms.1.threads.0.count', message: 'Too small' }] },
    });
    const err = w.findAll('[data-testid="spec-error"]');
    expect(err).toHaveLength(1);
    expect(err[0].text()).toContain('vms.1.threads.0.count');
    expect(w.find('[data-testid="vm-1-thread-0-count"]').classes()).toContain('bad');
  });

  it('reports a JSON syntax error and edits raw JSON in the JSON tab', async () => {
    const w = mount(SpecEditor, {
      props: { ...props, text: '{ "name": ', parseError: 'Unexpected end of JSON input' },
    });
    expect(w.find('[data-testid="spec-error"]').text()).toContain('(json)');
    await w.find('[data-testid="mode-json"]').trigger('click');
    await w.find('[data-testid="spec-json"]').setValue('{}');
    expect(w.emitted('update:text')?.at(-1)).toEqual(['{}']);
  });
});
