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
