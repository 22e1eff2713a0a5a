/**
 * Live charts below the fold need not redraw on every batch: `useVisibleTick` follows the store's
 * tick only while the panel is on screen, and catches up when it scrolls into view.
 *
 * Panels follow a new tick one per animation frame, not all in one task: a Chart.js update (its
 * layout, scales and drawing) of a live chart takes a few milliseconds to tens of them in software
 * rendering, and the eight or so panels of a run updated together held the page for 100–200 ms at
 * a time during a max-speed run (about 25 frames a second in `npm run bench`'s UI probe).
 *
 * An export needs every chart drawn from the data, seen or not: `withAllChartsDrawn` makes every
 * panel follow the tick (as if on screen), lets Vue and Chart.js redraw, runs the panels' own
 * synchronous drawers (`onDrawForExport`: canvases drawn by hand, on animation frames otherwise),
 * and then reads the canvases.
 */
import { computed, nextTick, onBeforeUnmount, onMounted, type Ref, ref, watch } from 'vue';

const forced = ref(false);
const drawers = new Set<() => void>();

/** Panels waiting to follow the tick, in the order they asked; one is run per animation frame. */
const waiting = new Set<() => void>();
let frame: number | null = null;
const nextFrame = (cb: () => void): number =>
  typeof requestAnimationFrame === 'function'
    ? requestAnimationFrame(cb)
    : (setTimeout(cb, 16) as unknown as number);

function runOne(): void {
  frame = null;
  const first = waiting.values().next();
  if (first.done) return;
  waiting.delete(first.value);
  // Vue re-renders the panel (and vue-chartjs updates its chart) right after, in this frame's task.
  first.value();
  if (waiting.size > 0) frame = nextFrame(runOne);
}

function follow(update: () => void): void {
  waiting.add(update);
  if (frame === null) frame = nextFrame(runOne);
}

export function useVisibleTick(tick: () => number, el: Ref<HTMLElement | null>) {
  const visible = ref(true);
  const shown = ref(tick());
  const update = () => {
    shown.value = tick();
  };
  let io: IntersectionObserver | null = null;
  onMounted(() => {
    if (typeof IntersectionObserver === 'undefined' || !el.value) return;
    io = new IntersectionObserver((entries) => {
      for (const e of entries) visible.value = e.isIntersecting;
    });
    io.observe(el.value);
  });
  // A new tick while on screen waits for this panel's frame. Coming into view behind, or an
  // export (forced), draws from the tick at once (and an export leaves the panel there).
  watch(tick, () => {
    if (forced.value) update();
    else if (visible.value && shown.value !== tick()) follow(update);
  });
  watch([visible, forced], () => {
    if ((visible.value || forced.value) && shown.value !== tick()) {
      waiting.delete(update);
      update();
    }
  });
  onBeforeUnmount(() => {
    io?.disconnect();
    waiting.delete(update);
  });
  return computed<number>(() => (forced.value ? tick() : shown.value));
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
