/**
 * Small-array edits without `splice` (CFQ's sorted lists, fifos, service and prio trees hold a
 * handful of entries): `splice` is a builtin call that also allocates the array of removed
 * elements, once or twice per request; these loops do the same edit in place.
 */

/** Remove the element at index `i` (0 <= i < a.length), keeping the order of the rest. */
export function removeAt<T>(a: T[], i: number): void {
  const n = a.length - 1;
  for (let k = i; k < n; k++) a[k] = a[k + 1];
  a.pop();
}

/** Insert `x` at index `i` (0 <= i <= a.length), shifting the elements from `i` on. */
export function insertAt<T>(a: T[], i: number, x: T): void {
  let k = a.length;
  a.push(x);
  for (; k > i; k--) a[k] = a[k - 1];
  a[i] = x;
}

/** Index of `x` in `a`, or -1 (as `indexOf` for object elements). */
export function find<T>(a: readonly T[], x: T): number {
  for (let i = 0; i < a.length; i++) if (a[i] === x) return i;
  return -1;
}

/** Remove `x` from `a` if present (its first occurrence). */
export function removeItem<T>(a: T[], x: T): void {
  const i = find(a, x);
  if (i >= 0) removeAt(a, i);
}
