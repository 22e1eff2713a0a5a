/**
 * Live charts below the fold need not redraw on every batch: `useVisibleTick` follows the store's
 * tick only while the panel is on screen, and catches up when it scrolls into view.
 *
 * An export needs every chart drawn from the data, seen or not: `withAllChartsDrawn` makes every
 * panel follow the tick (as if on screen), lets Vue and Chart.js redraw, runs the panels' own
 * synchronous drawers (`onDrawForExport`: canvases drawn by hand, on animation frames otherwise),
 * and then reads the canvases.
 */
import { computed, nextTick, onBeforeUnmount, onMounted, type Ref, ref } from 'vue';

const forced = ref(false);
const drawers = new Set<() => void>();

export function useVisibleTick(tick: () => number, el: Ref<HTMLElement | null>) {
  const visible = ref(true);
  let io: IntersectionObserver | null = null;
  onMounted(() => {
    if (typeof IntersectionObserver === 'undefined' || !el.value) return;
    io = new IntersectionObserver((entries) => {
      for (const e of entries) visible.value = e.isIntersecting;
    });
    io.observe(el.value);
  });
  onBeforeUnmount(() => io?.disconnect());
  return computed<number>((old) => (visible.value || forced.value || old === undefined ? tick() : old));
}

/** Registers a panel's synchronous redraw, run before an export reads the canvases. */
export function onDrawForExport(draw: () => void): void {
  onMounted(() => drawers.add(draw));
  onBeforeUnmount(() => drawers.delete(draw));
}

/** Runs `read` with every chart drawn from the current data, on screen or not. */
export async function withAllChartsDrawn<T>(read: () => T): Promise<T> {
  forced.value = true;
  try {
    await nextTick(); // Vue re-renders the panels with the data…
    await nextTick(); // …and vue-chartjs updates its charts a tick later
    for (const d of drawers) d();
    return read();
  } finally {
    forced.value = false;
  }
}
