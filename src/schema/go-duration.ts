// Durations as Go's time.ParseDuration reads them, which is what the CEL function duration() of
// Istio's CRD rules (cel-go) and Istio itself use: a sequence of decimal numbers with units
// (`300ms`, `1.5h`, `2h45m`), `ns us µs ms s m h`, at most 2^63-1 nanoseconds (about 292 years).

const UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n,
  'μs': 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const MAX = 2n ** 63n - 1n;
const PART = /^([0-9]*)(?:\.([0-9]*))?([^0-9.]*)/;

export const NANOS_PER_MS = 1_000_000n;
export const NANOS_PER_S = 1_000_000_000n;

/** The duration in nanoseconds, or undefined where Go would refuse it (syntax, unit, overflow). */
export function parseGoDuration(text: string): bigint | undefined {
  let rest = text;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') return undefined;
  let total = 0n;
  while (rest !== '') {
    const m = PART.exec(rest)!;
    const [all, whole = '', fraction = '', unit = ''] = m;
    if (whole === '' && fraction === '') return undefined;
    const scale = UNITS[unit];
    if (scale === undefined) return undefined;
    let value = BigInt(whole || '0') * scale;
    if (fraction !== '') value += (BigInt(fraction) * scale) / 10n ** BigInt(fraction.length);
    total += value;
    if (total > MAX) return undefined;
    rest = rest.slice(all.length);
  }
  return negative ? -total : total;
}
