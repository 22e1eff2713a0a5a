/** Simulated time is an integer number of nanoseconds (safe up to ~104 days in a double). */
export const NS = 1;
export const US = 1_000;
export const MS = 1_000_000;
export const SEC = 1_000_000_000;

export const msToNs = (ms: number): number => Math.round(ms * MS);
export const usToNs = (us: number): number => Math.round(us * US);
export const sToNs = (s: number): number => Math.round(s * SEC);
export const nsToMs = (ns: number): number => ns / MS;
export const nsToS = (ns: number): number => ns / SEC;

const doubleBox = new Float64Array(1);
/**
 * `ns` as V8 stores a floating-point number (a HeapNumber), for the first value of an object field
 * that holds a time. Simulated nanoseconds outgrow V8's small integers (2^31) 2.1 s into a run: a
 * time field whose first value was a small integer then changes representation, which deprecates
 * the object's shape and throws away the compiled code of every function using it, in the middle
 * of the run (then all of it is compiled again). A field that starts as a double keeps its shape.
 * The value is the same number: results do not change.
 */
export function timeField(ns: number): number {
  doubleBox[0] = ns;
  return doubleBox[0];
}
