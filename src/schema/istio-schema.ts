// Istio values checked against Istio's own published CRD schema (src/schema/istio/istio-crds.json,
// from istio/istio manifests/charts/base/files/crd-all.gen.yaml; its `source` names the commit):
// types, enums, ranges, one-of groups and unknown fields by the ajv validators the build generates
// from it (scripts/istio-schemas.mjs), and the CRD's CEL rules (x-kubernetes-validations), which
// ajv cannot run, by hand below. Values YAML can hold and JSON cannot (!!timestamp, !!binary,
// !!set, .inf) are refused first: the API server would receive something else.
import type { ErrorObject, ValidateFunction } from 'ajv';
import * as validators from './generated/istio-validators.cjs';
import crds from './istio/istio-crds.json' with { type: 'json' };
import { NANOS_PER_MS, parseGoDuration } from './go-duration.ts';
import { nearest } from './suggest.ts';
import { fieldPath, show, type Problem } from './validate.ts';
import type { Json } from '../model/json.ts';

export type IstioShape = 'HTTPRoute' | 'VirtualServiceSpec' | 'TrafficPolicy' | 'SubsetTrafficPolicy' | 'DestinationRuleSpec';

type Schema = Json;
type Segment = string | number;

/** Where each shape's schema sits in the CRD (the same table as scripts/istio-schemas.mjs). */
const SHAPES: Record<IstioShape, [kind: 'VirtualService' | 'DestinationRule', path: string[]]> = {
  HTTPRoute: ['VirtualService', ['spec', 'http', '[]']],
  VirtualServiceSpec: ['VirtualService', ['spec']],
  TrafficPolicy: ['DestinationRule', ['spec', 'trafficPolicy']],
  SubsetTrafficPolicy: ['DestinationRule', ['spec', 'subsets', '[]', 'trafficPolicy']],
  DestinationRuleSpec: ['DestinationRule', ['spec']],
};

/** Istio's name for a shape in messages. */
const TITLES: Record<IstioShape, string> = {
  HTTPRoute: 'HTTPRoute',
  VirtualServiceSpec: 'VirtualService spec',
  TrafficPolicy: 'TrafficPolicy',
  SubsetTrafficPolicy: 'TrafficPolicy',
  DestinationRuleSpec: 'DestinationRule spec',
};

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

function rawSchema(shape: IstioShape): Schema {
  const [kind, path] = SHAPES[shape];
  let node = (crds.kinds as unknown as Record<string, { openAPIV3Schema: Schema }>)[kind]!.openAPIV3Schema;
  for (const segment of path) node = (segment === '[]' ? node.items : (node.properties as Json)[segment]) as Schema;
  return node;
}

/** Every problem Istio's CRD schema (structure and CEL rules) finds in `value`, with paths relative to it. */
export function checkIstioShape(shape: IstioShape, value: unknown): Problem[] {
  const foreign = notJson(value, []);
  if (foreign.length > 0) return foreign;
  const schema = rawSchema(shape);
  const validate = (validators as unknown as Record<string, ValidateFunction>)[`validate${shape}`]!;
  const problems: Problem[] = [];
  if (!validate(value)) for (const error of validate.errors ?? []) {
    const problem = describe(error, schema, value, TITLES[shape]);
    if (problem) problems.push(problem);
  }
  celRules(schema, value, [], problems);
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\0${p.message}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

/** Values JSON cannot carry, as YAML tags make them (!!timestamp, !!binary, !!set, .inf): the API server would get something else. */
export const foreignValues = (value: unknown): Problem[] => notJson(value, []);

function notJson(value: unknown, at: Segment[]): Problem[] {
  const path = fieldPath(at);
  if (typeof value === 'number' && !Number.isFinite(value)) return [{ path, message: `is ${String(value)}, which JSON cannot carry; use a finite number.` }];
  if (typeof value === 'bigint') return [{ path, message: `is ${value}, a number too large for Istio; use a smaller one.` }];
  if (typeof value !== 'object' || value === null) return [];
  if (Array.isArray(value)) return value.flatMap((v, i) => notJson(v, [...at, i]));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    const tag = value instanceof Date ? '!!timestamp' : value instanceof Uint8Array ? '!!binary' : value instanceof Set ? '!!set' : value instanceof Map ? '!!omap or !!pairs' : 'a YAML tag';
    return [{ path, message: `is a ${tag} value, which does not round-trip to JSON and would reach Istio changed; write it as a plain (quoted) string, list or map.` }];
  }
  return Object.entries(value).flatMap(([k, v]) => notJson(v, [...at, k]));
}

function pointer(instancePath: string): string[] {
  return instancePath === '' ? [] : instancePath.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function schemaAt(root: Schema, segments: readonly string[]): Schema | undefined {
  let node: Schema | undefined = root;
  for (const segment of segments) {
    if (!node) return undefined;
    const properties = node.properties as Record<string, Schema> | undefined;
    if (properties && own(properties, segment)) node = properties[segment];
    else if (isObject(node.items)) node = node.items;
    else if (isObject(node.additionalProperties)) node = node.additionalProperties;
    else return undefined;
  }
  return node;
}

function valueAt(root: unknown, segments: readonly string[]): unknown {
  let node = root;
  for (const segment of segments) {
    if (node === null || typeof node !== 'object' || !own(node, segment)) return undefined;
    node = (node as Json)[segment];
  }
  return node;
}

const join = (segments: readonly string[], field: string): string => fieldPath([...segments, field]);
const article = (type: string): string => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);

function describe(error: ErrorObject, root: Schema, value: unknown, title: string): Problem | undefined {
  // Errors inside a one-of branch only say why that branch failed; the oneOf error says it once.
  if (/\/(oneOf|anyOf|not)\//.test(error.schemaPath)) return undefined;
  const segments = pointer(error.instancePath);
  const path = fieldPath(segments);
  const here = valueAt(value, segments);
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const field = String(p.additionalProperty);
      const known = Object.keys((schemaAt(root, segments)?.properties as Json) ?? {});
      const guess = nearest(field, known);
      return { path: join(segments, field), message: `is not a field of Istio's ${title}${path ? ` at ${path}` : ''} (the API server would drop it); ${guess ? `did you mean ${guess}?` : `use one of ${known.join(', ')}.`}` };
    }
    case 'required':
      return { path: join(segments, String(p.missingProperty)), message: 'is required by Istio.' };
    case 'type':
      return { path, message: `is ${show(here)}; Istio wants ${article(String(p.type))}${p.type === 'string' ? ': put the value in quotes' : ''}.` };
    case 'enum':
      return { path, message: `is ${show(here)}; use one of ${(p.allowedValues as unknown[]).join(', ')}.` };
    case 'minimum':
      return { path, message: `is ${show(here)}; use ${String(p.limit)} or more.` };
    case 'maximum':
      return { path, message: `is ${show(here)}; use ${String(p.limit)} or less.` };
    case 'maxItems':
      return { path, message: `lists more than ${String(p.limit)} items, which Istio refuses.` };
    case 'maxLength':
      return { path, message: `is longer than ${String(p.limit)} characters, which Istio refuses.` };
    case 'maxProperties':
      return { path, message: `has more than ${String(p.limit)} entries, which Istio refuses.` };
    case 'oneOf': {
      const choices = ((schemaAt(root, segments)?.oneOf as Schema[] | undefined) ?? []).flatMap((b) => (Array.isArray(b.required) ? (b.required as string[]) : []));
      const set = isObject(here) ? choices.filter((c) => own(here, c)) : [];
      return { path, message: `sets ${set.join(' and ') || 'none of the alternatives'}; Istio takes exactly one of ${[...new Set(choices)].join(', ')}.` };
    }
  }
  return { path, message: `${error.message ?? 'is invalid'} (Istio's ${title} schema).` };
}

/**
 * The CRD's CEL rules, each written from its text (the build fails on a rule not listed here):
 *   duration(self) >= duration('1ms')      every duration is at least 1 ms (cel-go's duration() is Go's ParseDuration)
 *   !self.contains("*")                    no wildcard in a workloadSelector label value
 *   self.all(key, !key.contains("*"))      no wildcard in a workloadSelector label key
 *   self.all(key, key.size() != 0)         no empty workloadSelector label key
 */
function celRules(schema: Schema, value: unknown, at: Segment[], out: Problem[]): void {
  const rules = schema['x-kubernetes-validations'] as { rule: string; message?: string }[] | undefined;
  for (const { rule } of rules ?? []) {
    const message = celProblem(rule, value);
    if (message) out.push({ path: fieldPath(at), message });
  }
  if (Array.isArray(value)) {
    if (isObject(schema.items)) value.forEach((v, i) => celRules(schema.items as Schema, v, [...at, i], out));
  } else if (isObject(value)) {
    const properties = schema.properties as Record<string, Schema> | undefined;
    for (const [k, v] of Object.entries(value)) {
      const child = properties ? (own(properties, k) ? properties[k] : undefined) : isObject(schema.additionalProperties) ? (schema.additionalProperties as Schema) : undefined;
      if (child) celRules(child, v, [...at, k], out);
    }
  }
}

function celProblem(rule: string, value: unknown): string | undefined {
  switch (rule) {
    case "duration(self) >= duration('1ms')": {
      if (typeof value !== 'string') return undefined; // the type error says it
      const nanos = parseGoDuration(value);
      if (nanos === undefined) return `is ${show(value)}, which is not a duration Istio can read; use a number and a unit, such as 5s or 250ms (at most 2562047h).`;
      if (nanos < NANOS_PER_MS) return `is ${show(value)}; Istio's CRD requires a duration of at least 1ms.`;
      return undefined;
    }
    case '!self.contains("*")':
      return typeof value === 'string' && value.includes('*') ? `is ${show(value)}; Istio allows no wildcard (*) in a label value.` : undefined;
    case 'self.all(key, !key.contains("*"))':
      return isObject(value) && Object.keys(value).some((k) => k.includes('*')) ? 'has a key with a wildcard (*), which Istio does not allow in a label key.' : undefined;
    case 'self.all(key, key.size() != 0)':
      return isObject(value) && Object.keys(value).some((k) => k === '') ? 'has an empty key, which Istio does not allow.' : undefined;
  }
  return `carries the CEL rule ${rule}, which Switchyard cannot check.`;
}
