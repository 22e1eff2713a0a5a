/** Plain-text tables for the CLI's human output. */

const NUMERIC = /^[-+]?(\d[\d,]*)?(\.\d+)?(e[-+]?\d+)?%?$|^-$/i;

/**
 * A table with a header rule: the first column and text columns left-aligned, columns whose
 * cells are all numbers (or `-`) right-aligned.
 */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  const numeric = header.map(
    (_, c) => c > 0 && rows.length > 0 && cells.slice(1).every((r) => NUMERIC.test((r[c] ?? '').trim())),
  );
  const line = (r: string[]) =>
    r
      .map((x, c) => (numeric[c] ? x.padStart(widths[c]) : x.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join(
    '\n',
  );
}

export const fmt = (x: number | null | undefined, digits = 1): string =>
  x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits);
