// @vitest-environment happy-dom
/**
 * Live panels follow the store's tick one per animation frame (visible.ts): a tick never redraws
 * every chart in one task, every panel catches up, and an export draws all at once.
 */
import { mount } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defineComponent, h, nextTick, ref } from 'vue';

// Animation frames run when the test says so.
let frames: (() => void)[] = [];
beforeEach(() => {
  frames = [];
  vi.stubGlobal('requestAnimationFrame', (cb: () => void) => frames.push(cb));
});
afterEach(() => vi.unstubAllGlobals());
async function frame(): Promise<void> {
  const run = frames;
  frames = [];
  for (const cb of run) cb();
  await nextTick();
}

async function panels(n: number) {
  const { useVisibleTick, withAllChartsDrawn } = await import('./visible');
  const tick = ref(0);
  const seen: number[] = new Array(n).fill(-1);
  const Panel = defineComponent({
    props: { i: { type: Number, required: true } },
    setup(props) {
      const root = ref<HTMLElement | null>(null);
      const live = useVisibleTick(() => tick.value, root);
      return () => {
        seen[props.i] = live.value; // what the panel last drew from
        return h('div', { ref: root });
      };
    },
  });
  const w = mount(
    defineComponent({ setup: () => () => Array.from({ length: n }, (_, i) => h(Panel, { i })) }),
  );
  return { w, tick, seen, withAllChartsDrawn };
}

describe('useVisibleTick', () => {
  it('a new tick redraws one panel per animation frame, and all of them in n frames', async () => {
    const { w, tick, seen } = await panels(4);
    expect(seen).toEqual([0, 0, 0, 0]);
    tick.value = 1;
    await nextTick();
    expect(seen).toEqual([0, 0, 0, 0]); // nothing redrawn in the tick's own task
    await frame();
    expect(seen.filter((x) => x === 1)).toHaveLength(1);
    // more ticks while panels wait: each panel waits once, and draws the newest tick
    tick.value = 2;
    tick.value = 3;
    await nextTick();
    for (let k = 0; k < 4; k++) await frame();
    expect(seen).toEqual([3, 3, 3, 3]);
    expect(frames).toHaveLength(0);
    w.unmount();
  });

  it('an export draws every panel from the current tick at once', async () => {
    const { w, tick, seen, withAllChartsDrawn } = await panels(3);
    tick.value = 5;
    await nextTick();
    const drawn = await withAllChartsDrawn(() => [...seen]);
    expect(drawn).toEqual([5, 5, 5]);
    w.unmount();
  });
});
