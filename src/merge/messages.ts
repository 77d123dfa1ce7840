// How results name things: `RouteFragment shop/checkout-v3 (fragments/v3.yaml): spec.release.weight is 150; use 100 or less.`
import type { Source } from '../model/kinds.ts';
import type { ResourceRef, Result, Severity } from '../model/result.ts';
import { show } from '../schema/validate.ts';

export interface Subject {
  ref: ResourceRef;
  source: Source;
}

/**
 * `RouteFragment shop/checkout-v3 (fragments/v3.yaml)`. A name or path that is not plain printable
 * ASCII (a broken object's, which the schema refuses) is quoted and escaped, so that a message
 * stays one line and a look-alike letter shows: `RouteFragment shop/"checkout-f\u0430ture"`.
 */
export function describeSubject({ ref, source }: Subject): string {
  const name = ref.namespace ? `${printable(ref.namespace)}/${printable(ref.name)}` : printable(ref.name);
  return `${ref.kind} ${name || '(unnamed)'}${source.path ? ` (${printable(source.path)})` : ''}`;
}

/** A name or path as a message shows it: as it is when printable ASCII (spaces allowed), else quoted and escaped. */
export const printable = (text: string): string => (/^[\x20-\x7e]{0,1024}$/.test(text) ? text : show(text));

/** A result about one object, and optionally one of its fields. */
export function resultFor(subject: Subject, severity: Severity, message: string, field?: string): Result {
  const result: Result = {
    severity,
    message: `${describeSubject(subject)}: ${field ? `${field} ` : ''}${message}`,
    resourceRef: subject.ref,
  };
  if (field) result.field = { path: field };
  if (subject.source.path) {
    result.file = { path: subject.source.path };
    if (subject.source.index !== undefined) result.file.index = subject.source.index;
  }
  return result;
}

/** `shop/checkout`, or `checkout` where there is no namespace. */
export const qualified = (namespace: string | undefined, name: string): string => (namespace ? `${printable(namespace)}/${printable(name)}` : printable(name));
