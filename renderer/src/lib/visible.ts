/**
 * Live charts below the fold need not redraw on every batch: `useVisibleTick` follows the store's
 * tick only while the panel is on screen, and catches up when it scrolls into view.
 */
import { computed, onBeforeUnmount, onMounted, type Ref, ref } from 'vue';

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
  return computed<number>((old) => (visible.value || old === undefined ? tick() : old));
}
