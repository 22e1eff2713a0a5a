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

  it('keeps a number being typed when the editor re-renders before it is committed', async () => {
    const w = mount(SpecEditor, { props });
    const count = () => w.find('[data-testid="vm-1-thread-0-count"]').element as HTMLInputElement;
    const weight = () => w.find('[data-testid="vm-0-weight"]').element as HTMLInputElement;
    count().value = '2'; // typed, not yet committed (no change event)
    weight().value = '300';
    // a validation answer arrives for an earlier edit: the editor re-renders with the same spec
    await w.setProps({ validating: true });
    await w.setProps({ validating: false, errors: [{ path: 'vms.0.name', message: 'Too short' }] });
    expect(count().value).toBe('2');
    expect(weight().value).toBe('300');
    // a real change of the model (undo, another preset) still shows the model's value
    const other = structuredClone(spec);
    other.vms[1].threads[0].count = 6;
    await w.setProps({ text: JSON.stringify(other, null, 2) });
    expect(count().value).toBe('6');
  });

  it('edits the host dispatch latency, and clearing it removes the field', async () => {
    const w = mount(SpecEditor, { props });
    const field = w.find('[data-testid="field-dispatch-latency"]');
    await field.setValue('150');
    await field.trigger('change');
    expect((lastText(w).host as { dispatch_latency_us?: number }).dispatch_latency_us).toBe(150);
    await field.setValue('');
    await field.trigger('change');
    expect(lastText(w).host).not.toHaveProperty('dispatch_latency_us');
  });

  it('shows validation errors naming the field path and marks the field', async () => {
    const w = mount(SpecEditor, {
      props: { ...props, errors: [{ path: 'vms.1.threads.0.count', message: 'Too small' }] },
    });
    const err = w.findAll('[data-testid="spec-error"]');
    expect(err).toHaveLength(1);
    expect(err[0].text()).toContain('vms.1.threads.0.count');
    expect(w.find('[data-testid="vm-1-thread-0-count"]').classes()).toContain('bad');
    // …and writes the message beside the thread, not only in a tooltip
    expect(w.find('[data-testid="vm-1-thread-0-errors"]').text()).toBe('count Too small');
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

  it('edits the less common thread fields in the expandable "more" row', async () => {
    const w = mount(SpecEditor, { props });
    expect(w.find('[data-testid="vm-0-thread-0-details"]').exists()).toBe(false);
    await w.find('[data-testid="vm-0-thread-0-more"]').trigger('click');
    expect(w.find('[data-testid="vm-0-thread-0-details"]').exists()).toBe(true);
    // read mix only applies to op = rw
    expect(w.find('[data-testid="vm-0-thread-0-rwmix_read"]').exists()).toBe(false);
    const thread = () => (lastText(w).vms as { threads: Record<string, unknown>[] }[])[0].threads[0];
    await w.find('[data-testid="vm-0-thread-0-start_s"]').setValue('2');
    expect(thread().start_s).toBe(2);
    await w.find('[data-testid="vm-0-thread-0-stop_s"]').setValue('8');
    expect(thread().stop_s).toBe(8);
    await w.find('[data-testid="vm-0-thread-0-ioprio"]').setValue('1');
    expect(thread().ioprio).toBe(1);
    await w.find('[data-testid="vm-0-thread-0-sync_writes"]').setValue(false);
    expect(thread().sync_writes).toBe(false);
    await w.find('[data-testid="vm-0-thread-0-poisson"]').setValue(true);
    expect(thread().arrival).toEqual({ type: 'poisson', rate_iops: 100 });
    // The parent feeds the edited text back; then rate and read-mix fields appear.
    const edited = JSON.parse(JSON.stringify(spec));
    Object.assign(edited.vms[0].threads[0], { op: 'rw', arrival: { type: 'poisson', rate_iops: 100 } });
    await w.setProps({ text: JSON.stringify(edited) });
    await w.find('[data-testid="vm-0-thread-0-rate_iops"]').setValue('250');
    expect(thread().arrival).toEqual({ type: 'poisson', rate_iops: 250 });
    await w.find('[data-testid="vm-0-thread-0-rwmix_read"]').setValue('70');
    expect(thread().rwmix_read).toBe(70);
    await w.find('[data-testid="vm-0-thread-0-poisson"]').setValue(false);
    expect(thread().arrival).toBeUndefined();
  });

  it('edits the I/O priority class next to the level in the "more" row', async () => {
    const w = mount(SpecEditor, { props });
    await w.find('[data-testid="vm-1-thread-0-more"]').trigger('click');
    const sel = w.find('[data-testid="vm-1-thread-0-ioprio_class"]');
    // Absent in the spec = best-effort.
    expect((sel.element as HTMLSelectElement).value).toBe('be');
    const thread = () => (lastText(w).vms as { threads: Record<string, unknown>[] }[])[1].threads[0];
    await sel.setValue('idle');
    expect(thread().ioprio_class).toBe('idle');
    await sel.setValue('rt');
    expect(thread().ioprio_class).toBe('rt');
    // Back to the default: the field leaves the spec.
    await sel.setValue('be');
    expect(thread()).not.toHaveProperty('ioprio_class');
    // A validation error on the field opens the row and marks the select.
    const bad = mount(SpecEditor, {
      props: { ...props, errors: [{ path: 'vms.0.threads.0.ioprio_class', message: 'Invalid option' }] },
    });
    expect(bad.find('[data-testid="vm-0-thread-0-ioprio_class"]').classes()).toContain('bad');
    expect(bad.find('[data-testid="vm-0-thread-0-details"]').text()).toContain(
      'ioprio_class: Invalid option',
    );
  });

  it('opens the "more" row by itself when one of its fields is invalid, and marks it', () => {
    const w = mount(SpecEditor, {
      props: {
        ...props,
        errors: [{ path: 'vms.1.threads.0.stop_s', message: 'must be later than start_s (0)' }],
      },
    });
    expect(w.find('[data-testid="vm-1-thread-0-details"]').exists()).toBe(true);
    expect(w.find('[data-testid="vm-1-thread-0-stop_s"]').classes()).toContain('bad');
    expect(w.find('[data-testid="vm-1-thread-0-details"]').text()).toContain('must be later than start_s');
    expect(w.find('[data-testid="vm-0-thread-0-details"]').exists()).toBe(false);
  });
});
