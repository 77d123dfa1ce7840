// Who else writes an object, and which Switchyard wrote it: pure readings of live objects, so that a
// reconciler never fights another field manager and never overwrites what a newer Switchyard wrote.
import { fingerprint } from '../merge/canonical.ts';
import { FIELD_MANAGER } from './cluster.ts';
import type { ClusterObject } from './resources.ts';

export interface CoManager {
  manager: string;
  operation: string;
  /** The fields it owns that this write would change, as `spec.http`, `metadata.labels.x`. */
  fields: string[];
  /**
   * Switchyard itself by another operation: its create (POST, operation Update), or Switchyard 0.1's
   * PUT without a field manager (the API server recorded client-node's User-Agent, node-fetch).
   */
  legacy: boolean;
}

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  fieldsV1?: Record<string, unknown>;
}

/** The managers other than `switchyard` that own a field of `live` whose value `desired` changes (what server-side apply would refuse). */
export function coManagers(live: ClusterObject, desired: object): CoManager[] {
  const entries = Array.isArray(live.metadata.managedFields) ? (live.metadata.managedFields as ManagedFieldsEntry[]) : [];
  const want = desired as { spec?: Record<string, unknown>; metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } };
  const changes = (path: string[]): boolean => {
    const [top, key, sub] = path;
    if (top === 'spec' && key !== undefined) return fingerprint((want.spec ?? {})[key] ?? null) !== fingerprint(((live.spec ?? {}) as Record<string, unknown>)[key] ?? null);
    if (top === 'metadata' && (key === 'labels' || key === 'annotations') && sub !== undefined) {
      const wanted = want.metadata?.[key]?.[sub];
      return wanted !== undefined && wanted !== live.metadata[key]?.[sub];
    }
    return false;
  };
  const found: CoManager[] = [];
  for (const entry of entries) {
    if (!entry.manager || (entry.manager === FIELD_MANAGER && entry.operation === 'Apply')) continue;
    const fields = ownedFields(entry.fieldsV1 ?? {}).filter(changes).map((p) => p.join('.'));
    if (fields.length > 0) found.push({ manager: entry.manager, operation: entry.operation ?? '', fields, legacy: entry.operation === 'Update' && (entry.manager === FIELD_MANAGER || entry.manager === 'node-fetch') });
  }
  return found;
}

/** Every other owner is Switchyard (its create, or 0.1): its fields are taken over by the apply (force), once. */
export const legacyOwnersOnly = (others: readonly CoManager[]): boolean => others.length > 0 && others.every((o) => o.legacy);

/** The top-level spec fields and the label and annotation keys a FieldsV1 set names. */
function ownedFields(fields: Record<string, unknown>): string[][] {
  const out: string[][] = [];
  for (const key of Object.keys((fields['f:spec'] as Record<string, unknown> | undefined) ?? {})) if (key.startsWith('f:')) out.push(['spec', key.slice(2)]);
  const meta = (fields['f:metadata'] as Record<string, Record<string, unknown>> | undefined) ?? {};
  for (const group of ['labels', 'annotations']) for (const key of Object.keys(meta[`f:${group}`] ?? {})) if (key.startsWith('f:')) out.push(['metadata', group, key.slice(2)]);
  return out;
}

/** Is `theirs` (`switchyard/0.2.0`) a newer Switchyard than `ours`? Unparsable versions (a test build) are never newer. */
export function newerVersion(theirs: string | undefined, ours: string): boolean {
  const parse = (v: string | undefined) => /^switchyard\/(\d+)\.(\d+)\.(\d+)/.exec(v ?? '')?.slice(1).map(Number);
  const a = parse(theirs);
  const b = parse(ours);
  if (!a || !b) return false;
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return false;
}
