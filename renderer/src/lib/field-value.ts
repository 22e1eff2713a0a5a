import type { Directive } from 'vue';

type Field = HTMLInputElement | HTMLTextAreaElement;

const shown = (value: unknown): string => (value === undefined || value === null ? '' : String(value));

/**
 * `v-field-value="x"`: the value shown in an input that commits on `change`.
 *
 * A plain `:value` binding is re-applied every time the component re-renders (Vue patches `value`
 * against the DOM on each update), so a number half-typed into a field was replaced by the spec's
 * old value whenever anything else re-rendered the editor — a validation answer arriving, a run's
 * progress — and the edit was lost. This binding writes the input only when the model value
 * itself changes (a committed edit, undo, another preset), and leaves what the user is typing alone.
 */
export const vFieldValue: Directive<Field, unknown> = {
  mounted(el, { value }) {
    el.value = shown(value);
  },
  updated(el, { value, oldValue }) {
    if (value !== oldValue) el.value = shown(value);
  },
};
