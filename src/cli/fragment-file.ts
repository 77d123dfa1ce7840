// A fragment file edited in place, for commands that change one build's fragment (`fragment --out`
// over an existing file, `canary`): read through the bounded reader, fields set by path on the
// yaml Document (src/krm/edit-fragment.ts), so every other field and every comment stays.
import { writeFileSync } from 'node:fs';
import { editYamlText, type FieldEdit } from '../krm/edit-fragment.ts';
import { displayPath, InputError, readInputText } from './io.ts';

export type { FieldEdit } from '../krm/edit-fragment.ts';

/**
 * Sets `edits` in the fragment file at `path` and writes it back when that changed it (not with
 * `dryRun`). Returns the new text. A file that cannot be read or is not one YAML object is an
 * InputError naming it; a missing file is a UsageError (from the reader).
 */
export function editFragmentFile(path: string, edits: readonly FieldEdit[], { dryRun = false } = {}): { text: string; changed: boolean } {
  const edited = editYamlText(readInputText(path), edits);
  if ('problem' in edited) throw new InputError(`${displayPath(path)} ${edited.problem}; it is left alone.`);
  if (edited.changed && !dryRun) writeFileSync(path, edited.text);
  return edited;
}

/**
 * The edits that make a file hold `fragment`: every field `fragment` has is set; the fields it
 * does not have are kept as the file has them, except inside spec.branch or spec.release, which
 * the fragment says whole (a stable release has no weight), and the other one of the two.
 */
const SUBFIELDS = { branch: ['value', 'environment', 'header', 'match'], release: ['environment', 'revision', 'weight'] } as const;

export function editsFor(fragment: { metadata: Record<string, unknown>; spec: Record<string, unknown> }): FieldEdit[] {
  const edits: FieldEdit[] = [];
  const { annotations, ...metadata } = fragment.metadata as { annotations?: Record<string, string> } & Record<string, unknown>;
  for (const [key, value] of Object.entries(metadata)) edits.push({ path: ['metadata', key], value });
  for (const [key, value] of Object.entries(annotations ?? {})) edits.push({ path: ['metadata', 'annotations', key], value });
  const spec = fragment.spec as Record<string, unknown> & { subset?: Record<string, unknown> };
  for (const [key, value] of Object.entries(spec)) {
    if (key === 'subset' && value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) edits.push({ path: ['spec', 'subset', k], value: v });
    } else if ((key === 'branch' || key === 'release') && value && typeof value === 'object') {
      // Field by field, so that comments on the lines kept stay; what the new one leaves out goes.
      for (const k of SUBFIELDS[key]) edits.push({ path: ['spec', key, k], value: (value as Record<string, unknown>)[k] });
    } else edits.push({ path: ['spec', key], value });
  }
  if (spec.branch !== undefined) edits.push({ path: ['spec', 'release'], value: undefined });
  if (spec.release !== undefined) edits.push({ path: ['spec', 'branch'], value: undefined });
  return edits;
}
