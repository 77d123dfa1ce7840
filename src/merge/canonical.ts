// Canonical output: the same input set gives the same bytes. Known keys come in a fixed order;
// anything else (fields of a base object we carry through) is sorted.

/**
 * Sets a key as an own property. Not `out[key] = value`: for a key named `__proto__` (input can
 * hold one, in a trafficPolicy or a base object) that would set the prototype and lose the key.
 */
const put = (out: Record<string, unknown>, key: string, value: unknown): void => {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
};

/** A copy of `value` with every object's keys sorted, recursively. */
export function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) put(out, key, sortKeysDeep(v));
  }
  return out;
}

/** `object` with `first` keys in that order, then the others sorted; undefined values dropped. */
export function ordered<T extends Record<string, unknown>>(object: T, first: readonly string[]): T {
  const out: Record<string, unknown> = {};
  for (const key of first) if (object[key] !== undefined) put(out, key, object[key]);
  for (const key of Object.keys(object).sort()) {
    if (!first.includes(key) && object[key] !== undefined) put(out, key, sortKeysDeep(object[key]));
  }
  return out as T;
}

/** A stable text form for comparing two values regardless of key order. */
export const fingerprint = (value: unknown): string => JSON.stringify(sortKeysDeep(value) ?? null);

export const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Groups values by a key, keeping their order within each group. */
export function groupBy<T, K>(values: Iterable<T>, key: (value: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const value of values) {
    const k = key(value);
    const group = groups.get(k);
    if (group) group.push(value);
    else groups.set(k, [value]);
  }
  return groups;
}
