// A result in kpt's format (the ResourceList `results` of the KRM functions spec).
export type Severity = 'error' | 'warning' | 'info';

export interface ResourceRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface Result {
  severity: Severity;
  message: string;
  resourceRef?: ResourceRef;
  field?: { path: string };
  file?: { path: string; index?: number };
}

export const hasErrors = (results: readonly Result[]): boolean => results.some((r) => r.severity === 'error');
