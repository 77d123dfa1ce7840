// Realistic inputs for the benchmark: N fragments over a few services and three environments,
// mostly branch builds (that is what grows), a few releases with canaries; plus the Deployments
// they name, as kpt hands a whole package to the function.
// Usage: node bench/generate.mjs N OUT_DIR  -> OUT_DIR/{resource-list.yaml, resource-list-package.yaml, kpt/}
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

const SERVICES = ['checkout', 'cart', 'catalog', 'payments'];
const ENVIRONMENTS = ['production', 'staging', 'pre-staging'];

export const policy = {
  apiVersion: 'switchyard.dev/v1alpha1',
  kind: 'RoutingPolicy',
  metadata: { name: 'routing', annotations: { 'config.kubernetes.io/local-config': 'true' } },
  spec: {
    gateways: ['istio-system/public-gateway', 'mesh'],
    hostService: 'checkout', // answers the public hosts; the other services are reached inside the mesh
    environments: [
      { name: 'production', hosts: ['shop.example.com'], default: true, allowBranches: false },
      { name: 'staging', hosts: ['staging.shop.example.com'] },
      { name: 'pre-staging', hosts: ['pre-staging.shop.example.com'] },
    ],
  },
};

/** N fragments: per service and environment 3 releases (the newest a 5% canary), the rest branches. */
export function fragments(n) {
  const out = [];
  const fragment = (name, service, subset, route) => ({
    apiVersion: 'switchyard.dev/v1alpha1',
    kind: 'RouteFragment',
    metadata: { name, namespace: 'shop', annotations: { 'config.kubernetes.io/local-config': 'true' } },
    spec: { service, subset: { name: subset, labels: { app: service, version: subset } }, ...route, workload: { kind: 'Deployment', name } },
  });
  for (const service of SERVICES) {
    for (const [e, environment] of ENVIRONMENTS.entries()) {
      for (let r = 1; r <= 3 && out.length < n; r++) {
        const revision = e * 10 + r;
        out.push(fragment(`${service}-${environment}-r${revision}`, service, `r${revision}`, { release: { environment, revision, ...(r === 3 ? { weight: 5 } : {}) } }));
      }
    }
  }
  for (let i = 0; out.length < n; i++) {
    const service = SERVICES[i % SERVICES.length];
    const scoped = i % 3 === 0 ? { environment: 'staging' } : {};
    out.push(fragment(`${service}-feature-${i}`, service, `feature-${i}`, { branch: { value: `feature-${i}`, ...scoped } }));
  }
  return out;
}

export function deployment(f) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: f.metadata.name, namespace: 'shop', labels: f.spec.subset.labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: f.spec.subset.labels },
      template: {
        metadata: { labels: f.spec.subset.labels },
        spec: { containers: [{ name: f.spec.service, image: `registry.example.com/${f.spec.service}:${f.spec.subset.name}`, ports: [{ containerPort: 8080 }] }] },
      },
    },
  };
}

const yaml = (value) => stringify(value, { indentSeq: false, lineWidth: 0, aliasDuplicateObjects: false });

export function write(n, dir) {
  rmSync(dir, { recursive: true, force: true });
  const frags = fragments(n);
  const objects = frags.flatMap((f) => [f, deployment(f)]);
  // The ResourceList kpt would send: items annotated with their files.
  const items = objects.map((o, i) => {
    const path = o.kind === 'RouteFragment' ? `fragments/${o.metadata.name}.yaml` : `deploy/${o.metadata.name}.yaml`;
    const annotations = { ...(o.metadata.annotations ?? {}), 'config.kubernetes.io/index': '0', 'config.kubernetes.io/path': path, 'internal.config.kubernetes.io/index': '0', 'internal.config.kubernetes.io/path': path };
    void i;
    return { ...o, metadata: { ...o.metadata, annotations } };
  });
  mkdirSync(dir, { recursive: true });
  const list = (xs) => yaml({ apiVersion: 'config.kubernetes.io/v1', kind: 'ResourceList', items: xs, functionConfig: policy });
  // The function's input: the N fragments alone (the strict reading of "N fragments"), and the
  // whole package as kpt sends it, fragments and Deployments.
  writeFileSync(join(dir, 'resource-list.yaml'), list(items.filter((o) => o.kind === 'RouteFragment')));
  writeFileSync(join(dir, 'resource-list-package.yaml'), list(items));
  // A kpt package: one file per object.
  const kpt = join(dir, 'kpt');
  for (const sub of ['fragments', 'deploy']) mkdirSync(join(kpt, sub), { recursive: true });
  writeFileSync(join(kpt, 'policy.yaml'), yaml(policy));
  for (const o of objects) writeFileSync(join(kpt, o.kind === 'RouteFragment' ? 'fragments' : 'deploy', `${o.metadata.name}.yaml`), yaml(o));
  return { fragments: frags, objects };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const [n, dir] = process.argv.slice(2);
  write(Number(n), dir);
}
