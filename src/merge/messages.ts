// How results name things: `RouteFragment shop/checkout-v3 (fragments/v3.yaml): spec.release.weight is 150; use 100 or less.`
import type { Source } from '../model/kinds.ts';
import type { ResourceRef, Result, Severity } from '../model/result.ts';

export interface Subject {
  ref: ResourceRef;
  source: Source;
}

/** `RouteFragment shop/checkout-v3 (fragments/v3.yaml)` */
export function describeSubject({ ref, source }: Subject): string {
  const name = ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
  return `${ref.kind} ${name || '(unnamed)'}${source.path ? ` (${source.path})` : ''}`;
}

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
export const qualified = (namespace: string | undefined, name: string): string => (namespace ? `${namespace}/${name}` : name);
