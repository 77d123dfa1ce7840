// The RouteFragment CustomResourceDefinition, derived from the JSON Schema. A structural
// OpenAPI v3 schema takes no $ref, $schema, $id, const or additionalProperties: false, and
// free-form objects must say x-kubernetes-preserve-unknown-fields.
export function crdFromSchema(schema) {
  const resolve = (node) => {
    if (Array.isArray(node)) return node.map(resolve);
    if (node === null || typeof node !== 'object') return node;
    if (node.$ref) {
      const name = node.$ref.split('/').pop();
      const { description, ...rest } = node;
      return resolve({ ...schema.definitions[name], ...rest, $ref: undefined, ...(description ? { description } : {}) });
    }
    const out = {};
    for (const [key, value] of Object.entries(node)) {
      if (value === undefined || ['$ref', '$schema', '$id', 'title', 'definitions'].includes(key)) continue;
      if (key === 'const') {
        out.type = 'string';
        out.enum = [value];
        continue;
      }
      if (key === 'additionalProperties' && value === false) continue;
      if (key === 'propertyNames') continue; // not allowed in structural schemas; the validator checks it
      out[key] = resolve(value);
    }
    if (out.type === 'object' && !out.properties && !out.additionalProperties) {
      out['x-kubernetes-preserve-unknown-fields'] = true;
    }
    return out;
  };
  const openAPIV3Schema = resolve(schema);
  // apiVersion, kind and metadata are the API server's; it rejects a schema that constrains them further.
  openAPIV3Schema.properties.apiVersion = { type: 'string' };
  openAPIV3Schema.properties.kind = { type: 'string' };
  openAPIV3Schema.properties.metadata = { type: 'object' };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'routefragments.switchyard.dev' },
    spec: {
      group: 'switchyard.dev',
      names: { kind: 'RouteFragment', listKind: 'RouteFragmentList', plural: 'routefragments', singular: 'routefragment', shortNames: ['rf'], categories: ['switchyard'] },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema },
          additionalPrinterColumns: [
            { name: 'Service', type: 'string', jsonPath: '.spec.service' },
            { name: 'Subset', type: 'string', jsonPath: '.spec.subset.name' },
            { name: 'Branch', type: 'string', jsonPath: '.spec.branch.value' },
            { name: 'Environment', type: 'string', jsonPath: '.spec.release.environment' },
            { name: 'Weight', type: 'integer', jsonPath: '.spec.release.weight' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
        },
      ],
    },
  };
}
