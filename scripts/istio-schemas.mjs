// Istio's published CRD schemas (src/schema/istio/istio-crds.json, from istio/istio
// manifests/charts/base/files/crd-all.gen.yaml) made into strict JSON Schemas for ajv, one per
// Istio value Switchyard writes or passes through. What the API server would do to these values,
// ajv does here:
//   - unknown fields: the API server prunes them (kubectl's strict validation refuses them), so an
//     object with `properties` gets `additionalProperties: false`;
//   - `format: int32`: the API server refuses integers out of range, so it becomes minimum/maximum;
//     other formats (double, date-time, byte) are only annotations for it and are dropped;
//   - `x-kubernetes-validations` (CEL) cannot be compiled by ajv: src/schema/istio-schema.ts runs
//     them by hand, and the build fails on a rule it does not know, so a newer CRD cannot slip one past.

/** The Istio values Switchyard checks, by the path of their schema in the CRD (through properties and items). */
export const ISTIO_SHAPES = {
  HTTPRoute: ['VirtualService', ['spec', 'http', '[]']],
  VirtualServiceSpec: ['VirtualService', ['spec']],
  TrafficPolicy: ['DestinationRule', ['spec', 'trafficPolicy']],
  SubsetTrafficPolicy: ['DestinationRule', ['spec', 'subsets', '[]', 'trafficPolicy']],
  DestinationRuleSpec: ['DestinationRule', ['spec']],
};

/** The CEL rules src/schema/istio-schema.ts implements; keep the two lists equal. */
export const KNOWN_CEL_RULES = [
  "duration(self) >= duration('1ms')",
  '!self.contains("*")',
  'self.all(key, !key.contains("*"))',
  'self.all(key, key.size() != 0)',
];

export function subSchema(crds, shape) {
  const [kind, path] = ISTIO_SHAPES[shape];
  let node = crds.kinds[kind].openAPIV3Schema;
  for (const segment of path) node = segment === '[]' ? node.items : node.properties[segment];
  if (!node) throw new Error(`The Istio CRDs have no schema for ${shape}.`);
  return node;
}

const INT32 = { minimum: -2147483648, maximum: 2147483647 };

export function strictSchema(node) {
  if (Array.isArray(node)) return node.map(strictSchema);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'x-kubernetes-validations') {
      for (const { rule } of value) if (!KNOWN_CEL_RULES.includes(rule)) throw new Error(`The Istio CRDs carry a CEL rule Switchyard does not implement: ${rule}`);
      continue;
    }
    if (key.startsWith('x-kubernetes-') || key === 'nullable') continue;
    if (key === 'format') {
      if (value === 'int32') {
        if (out.minimum === undefined) out.minimum = INT32.minimum;
        if (out.maximum === undefined) out.maximum = INT32.maximum;
      }
      continue;
    }
    out[key] = key === 'properties' ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strictSchema(v)])) : strictSchema(value);
  }
  if (out.properties && out.additionalProperties === undefined && !node['x-kubernetes-preserve-unknown-fields']) out.additionalProperties = false;
  return out;
}

/**
 * One schema document holding every shape, in which each subtree that occurs more than once
 * (HTTPRoute inside VirtualServiceSpec, TrafficPolicy inside DestinationRuleSpec, connectionPool
 * inside portLevelSettings...) is written once under definitions and referred to: the CRD
 * inlines them, and compiled inline they would make a validator of over a megabyte.
 */
export function istioSchemaDocument(crds) {
  const strict = Object.fromEntries(Object.keys(ISTIO_SHAPES).map((shape) => [shape, strictSchema(subSchema(crds, shape))]));
  const counts = new Map();
  const count = (node) => {
    if (node === null || typeof node !== 'object') return;
    if (!Array.isArray(node)) {
      const key = JSON.stringify(node);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    for (const child of Object.values(node)) count(child);
  };
  for (const schema of Object.values(strict)) count(schema);
  const definitions = {};
  const names = new Map();
  const hoist = (node, key, name) => {
    names.set(key, name);
    definitions[name] = null; // reserve, so that the order of definitions is stable
    definitions[name] = children(node);
  };
  const children = (node) => {
    if (Array.isArray(node)) return node.map(transform);
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, k === 'properties' ? Object.fromEntries(Object.entries(v).map(([p, s]) => [p, transform(s)])) : transform(v)]));
  };
  const transform = (node) => {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return Array.isArray(node) ? node.map(transform) : node;
    const key = JSON.stringify(node);
    if (!names.has(key) && (counts.get(key) ?? 0) >= 2 && key.length >= 300) hoist(node, key, `shared${names.size}`);
    return names.has(key) ? { $ref: `#/definitions/${names.get(key)}` } : children(node);
  };
  for (const [shape, schema] of Object.entries(strict)) {
    const key = JSON.stringify(schema);
    if (names.has(key)) definitions[shape] = { $ref: `#/definitions/${names.get(key)}` };
    else hoist(schema, key, shape);
  }
  return { $id: 'istio', definitions };
}
