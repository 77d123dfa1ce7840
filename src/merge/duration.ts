// Durations as pipelines write them (`14d`, `1h30m`, `500ms`): one reader for every flag that takes
// one. Read character by character: an unanchored `/(\d+)(ms|[smhdw])/g` is quadratic on a long
// run of digits (test/input-regex.test.ts).
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** The sum of whole-number parts with units (y, w, d, h, m, s, ms), in milliseconds; undefined if unreadable or zero. */
export function parseDuration(text: string): number | undefined {
  let total = 0;
  let digits = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c >= '0' && c <= '9') {
      digits += c;
      continue;
    }
    const unit = c === 'm' && text[i + 1] === 's' ? 'ms' : c;
    if (digits === '' || UNIT_MS[unit] === undefined) return undefined;
    total += Number(digits) * UNIT_MS[unit]!;
    digits = '';
    if (unit === 'ms') i++;
  }
  return digits === '' && total > 0 && Number.isFinite(total) ? total : undefined;
}
