/**
 * Named tables looked up by names that come from input (a spec's disk preset, a preset name on the
 * command line, a key in a bundle): only a table's own entries are names. Inherited properties
 * (`constructor`, `__proto__`, `toString`, …) must never be found, so tables are made without a
 * prototype and lookups check `Object.hasOwn` as well.
 */

/** A copy of `entries` as an object without a prototype (inherited names are not keys of it). */
export function nullProto<T>(entries: Record<string, T>): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, entries);
}

/** `table[key]` when `key` is one of the table's own entries; undefined otherwise. */
export function ownValue<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/**
 * A table whose entries are built on first use: each key is an own, enumerable accessor that
 * builds its value once and then replaces itself with a plain data property. Keys and their order
 * (Object.keys, Object.entries, `in`, Object.hasOwn) are as for the built table, so lookups and
 * listings do not change; only the work moves from import to first use. No prototype, as nullProto.
 */
export function lazyTable<T>(builders: readonly (readonly [string, () => T])[]): Record<string, T> {
  const table = Object.create(null) as Record<string, T>;
  for (const [key, build] of builders)
    Object.defineProperty(table, key, {
      enumerable: true,
      configurable: true,
      get() {
        const value = build();
        Object.defineProperty(table, key, { value, enumerable: true, configurable: true, writable: true });
        return value;
      },
    });
  return table;
}
