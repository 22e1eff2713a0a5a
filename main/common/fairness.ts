/**
 * Jain's fairness index J = (Σx)² / (n·Σx²): 1 when all x are equal, 1/n when one takes all.
 * For VMs, x is each VM's throughput divided by its weight (DESIGN.md "Metrics").
 * Null with fewer than two values or when nothing was served.
 */
export function jainIndex(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  let sum = 0;
  let sq = 0;
  for (const x of xs) {
    sum += x;
    sq += x * x;
  }
  if (sq === 0) return null;
  return (sum * sum) / (xs.length * sq);
}
