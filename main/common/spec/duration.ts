/**
 * `--duration S` (pvblk run, real, kernel) and the kernel backend's duration field in the UI: the
 * spec input with `duration_s` replaced and a warm-up that no longer fits cut to a tenth of it.
 * Pure: the CLI and the renderer share it. A non-object input is left as it is (validation names it).
 */
export function withDuration<T>(input: T, durationS: number): T {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return input;
  const s = input as Record<string, unknown>;
  s.duration_s = durationS;
  if (typeof s.warmup_s === 'number' && s.warmup_s >= durationS) s.warmup_s = durationS / 10;
  return input;
}
