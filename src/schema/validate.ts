// Schema validation with messages a person can act on: every problem names the field as a
// dotted path, says what is wrong, and how to fix it (the schema's descriptions are the hints).
import type { ErrorObject, ValidateFunction } from 'ajv';
import { validateRouteFragment, validateRoutingPolicy } from './generated/validators.cjs';
import fragmentSchema from './route-fragment.schema.json' with { type: 'json' };
import policySchema from './routing-policy.schema.json' with { type: 'json' };
import { nearest } from './suggest.ts';
import type { Json } from '../model/json.ts';

/** One thing wrong with an object: the field (a dotted path; '' for the whole object) and what to do. */
export interface Problem {
  path: string;
  message: string;
}


export const checkFragmentSchema = (object: unknown): Problem[] => check(validateRouteFragment, fragmentSchema, object);
export const checkPolicySchema = (object: unknown): Problem[] => check(validateRoutingPolicy, policySchema, object);

function check(validate: ValidateFunction, schema: Json, object: unknown): Problem[] {
  if (validate(object)) return [];
  const errors = validate.errors ?? [];
  const problems: Problem[] = [];
  const seen = new Set<string>();
  // `valeu` for `value` is one mistake, not two: the missing field is explained by the typo.
  const suggested = new Set(
    errors
      .filter((e) => e.keyword === 'additionalProperties')
      .map((e) => {
        const known = Object.keys((schemaFor(schema, pointerSegments(e.instancePath))?.properties as Json) ?? {});
        return `${e.instancePath}/${nearest(String(e.params.additionalProperty), known) ?? ''}`;
      }),
  );
  for (const error of errors) {
    if (error.keyword === 'required' && suggested.has(`${error.instancePath}/${String(error.params.missingProperty)}`)) continue;
    const problem = describe(error, (segments) => schemaFor(schema, segments), object);
    if (!problem) continue;
    const key = `${problem.path}\0${problem.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      problems.push(problem);
    }
  }
  return problems;
}

function describe(error: ErrorObject, schemaAt: (segments: readonly string[]) => Json | undefined, root: unknown): Problem | undefined {
  const segments = pointerSegments(error.instancePath);
  const path = fieldPath(segments);
  const value = valueAt(root, segments);
  const hint = schemaAt(segments)?.description as string | undefined;
  if (error.propertyName !== undefined) {
    // A key that breaks propertyNames (a label key, say): name the key itself.
    const keyHint = schemaAt(segments)?.propertyNames as Json | undefined;
    return { path: join(path, error.propertyName), message: `is not a valid key; use ${String(keyHint?.description ?? 'another key')}.` };
  }
  switch (error.keyword) {
    case 'propertyNames':
      return undefined; // the key itself is named by the error above, which carries propertyName
    case 'additionalProperties': {
      const field = String(error.params.additionalProperty);
      const known = Object.keys((schemaAt(segments)?.properties as Json) ?? {});
      const guess = nearest(field, known);
      const fix = guess ? `did you mean ${guess}?` : `the known fields are ${known.join(', ')}.`;
      return { path: join(path, field), message: `is not a known field; ${fix}` };
    }
    case 'required': {
      const field = String(error.params.missingProperty);
      if (error.schemaPath.includes('/oneOf/')) return undefined; // reported once by the oneOf below
      const described = schemaAt([...segments, field])?.description;
      return { path: join(path, field), message: `is required${described ? `: ${lowerFirst(String(described))}.` : '.'}` };
    }
    case 'oneOf': {
      if (error.instancePath !== '/spec') break;
      const both = isObject(value) && 'branch' in value && 'release' in value;
      return both
        ? { path, message: 'has both branch and release; a fragment is either a header route (branch) or a release of an environment: split it into two fragments.' }
        : { path, message: 'needs branch (a header route) or release (a release of an environment).' };
    }
    case 'pattern':
    case 'enum':
    case 'const':
    case 'type':
    case 'minimum':
    case 'maximum':
    case 'minLength':
    case 'maxLength':
    case 'minItems':
    case 'minProperties':
    case 'uniqueItems':
      return { path, message: `is ${show(value)}; ${expected(error, hint)}` };
  }
  // Fall back to ajv's own words for anything not worded above.
  return { path, message: `${error.message ?? 'is invalid'}.` };
}

function expected(error: ErrorObject, hint: string | undefined): string {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'pattern':
      return `use ${hint ?? `a value matching ${String(p.pattern)}`}.`;
    case 'enum':
      return `use one of ${(p.allowedValues as unknown[]).join(', ')}.`;
    case 'const':
      return `use ${String(p.allowedValue)}.`;
    case 'type':
      // YAML reads some unquoted values as numbers, booleans or null (0777, 1.10, true, ~).
      return p.type === 'string' ? 'use a string: put the value in quotes.' : `use ${article(String(p.type))}.`;
    case 'minimum':
      return `use ${String(p.limit)} or more.`;
    case 'maximum':
      return `use ${String(p.limit)} or less.`;
    case 'minLength':
      return 'it must not be empty.';
    case 'maxLength':
      return `use at most ${String(p.limit)} characters.`;
    case 'minItems':
      return `list at least ${String(p.limit)}.`;
    case 'minProperties':
      return `give at least ${String(p.limit)} entry${hint ? ` (${hint})` : ''}.`;
    case 'uniqueItems':
      return `items ${String(p.j)} and ${String(p.i)} are the same; list each once.`;
  }
  return `${error.message ?? 'invalid'}.`;
}

const article = (type: string): string => (type === 'integer' || type === 'object' || type === 'array' ? `an ${type}` : `a ${type}`);
const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A value as it appears in a message: short, quoted when a string, and never multi-line. Anything
 * outside printable ASCII is escaped (`"checkout-f\u0430ture"`), so that a look-alike letter such
 * as Cyrillic а, or a control character, is visible where it would otherwise look valid.
 */
export function show(value: unknown): string {
  if (value === undefined) return 'missing';
  if (typeof value === 'string') return visible(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (Array.isArray(value)) return 'a list';
  if (isObject(value)) return 'a map';
  return String(value);
}

/** A string JSON-quoted, with every character outside printable ASCII as \uXXXX. */
export const visible = (text: string): string => JSON.stringify(text).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** `spec.environments[0].hosts[1]`, `spec.subset.labels["app.kubernetes.io/name"]`. */
export function fieldPath(segments: readonly (string | number)[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number' || /^\d+$/.test(segment)) out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${visible(segment.length > 80 ? `${segment.slice(0, 77)}...` : segment)}]`;
  }
  return out;
}

const join = (path: string, field: string): string => (path ? `${path}${fieldPath([field]).replace(/^(?!\[)/, '.')}` : fieldPath([field]));

function valueAt(root: unknown, segments: readonly string[]): unknown {
  let node = root;
  for (const segment of segments) {
    if (node === null || typeof node !== 'object') return undefined;
    node = Object.prototype.hasOwnProperty.call(node, segment) ? (node as Json)[segment] : undefined;
  }
  return node;
}

/**
 * The schema of the value at `segments`, found by walking the schema along the data path
 * (ajv's schemaPath is relative to whichever definition it compiled separately, so it is not used).
 */
function schemaFor(root: Json, segments: readonly string[]): Json | undefined {
  const deref = (node: Json): Json => {
    if (typeof node.$ref !== 'string') return node;
    const [file = '', pointer = ''] = node.$ref.split('#');
    const name = pointer.replace(/^\/definitions\//, '');
    const doc = file.includes('route-fragment') || !(name in ((root.definitions as Json) ?? {})) ? (fragmentSchema as Json) : root;
    const { $ref: _, ...siblings } = node;
    return { ...deref((doc.definitions as Record<string, Json>)[name] ?? {}), ...siblings };
  };
  let node: Json = deref(root);
  for (const segment of segments) {
    const properties = node.properties as Record<string, Json> | undefined;
    const next =
      properties && Object.prototype.hasOwnProperty.call(properties, segment)
        ? properties[segment]
        : isObject(node.items)
          ? node.items
          : isObject(node.additionalProperties)
            ? node.additionalProperties
            : undefined;
    if (!next) return undefined;
    node = deref(next);
  }
  return node;
}
