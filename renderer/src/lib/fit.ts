/**
 * "Fit images and regions to this disk": after switching to a smaller disk (hp97560, 1.28 GiB), a
 * preset's images (40 GiB each) end beyond it. Every image's offset and size and every thread's
 * region (offset_gb, size_gb, inside its image or on the disk for native threads) are multiplied by
 * one factor, capacity ÷ the span the spec uses, so the layout keeps its proportions.
 */

type Json = Record<string, unknown>;

export interface Fit {
  /** The factor applied (< 1 shrinks). */
  factor: number;
  /** GiB the spec's images and native regions reach, and the disk's capacity. */
  spanGb: number;
  capacityGb: number;
  spec: Json;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const objects = (v: unknown): Json[] =>
  Array.isArray(v) ? v.filter((x): x is Json => x !== null && typeof x === 'object') : [];

/** Where the spec's images and native regions end (GiB), or 0 when it sets none. */
export function usedSpanGb(spec: Json): number {
  let end = 0;
  for (const vm of objects(spec.vms)) {
    const img = (vm.image ?? {}) as Json;
    const off = num(img.offset_gb) ?? 0;
    const size = num(img.size_gb);
    if (size !== null) end = Math.max(end, off + size);
  }
  for (const t of objects(spec.native)) {
    const off = num(t.offset_gb) ?? 0;
    const size = num(t.size_gb);
    if (size !== null) end = Math.max(end, off + size);
  }
  return end;
}

/** Rounded down to 1/1000 GiB (1 MiB), so the scaled layout never ends past the disk. */
const down = (x: number): number => Math.floor(x * 1000) / 1000;

/** The spec scaled to the disk, or null when everything already fits. */
export function fitToDisk(spec: Json, capacityGb: number): Fit | null {
  const span = usedSpanGb(spec);
  if (!(capacityGb > 0) || span <= capacityGb) return null;
  const factor = capacityGb / span;
  const out = structuredClone(spec);
  const scale = (o: Json, key: string) => {
    const v = num(o[key]);
    if (v !== null) o[key] = down(v * factor);
  };
  for (const vm of objects(out.vms)) {
    if (vm.image && typeof vm.image === 'object') {
      scale(vm.image as Json, 'offset_gb');
      scale(vm.image as Json, 'size_gb');
    }
    for (const t of objects(vm.threads)) {
      scale(t, 'offset_gb');
      scale(t, 'size_gb');
    }
  }
  for (const t of objects(out.native)) {
    scale(t, 'offset_gb');
    scale(t, 'size_gb');
  }
  return { factor, spanGb: span, capacityGb, spec: out };
}
