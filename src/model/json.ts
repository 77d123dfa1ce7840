// A JSON object as read from input, before anything is known of its shape.
export type Json = Record<string, unknown>;

/** A plain object (not null, not an array). */
export const isRecord = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);
