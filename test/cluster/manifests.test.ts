// The install as `kubectl apply -k manifests/` (and manifests/namespaced/) performs it: built with
// the real `kubectl kustomize`, in an order the API server accepts, with a Deployment the kubelet
// can probe and a controller that survives a node drain. What is checked follows the Kubernetes
// docs: NamespaceLifecycle refuses objects in a namespace that does not exist yet; probes must
// reach the container on the pod's IP; a PodDisruptionBudget with minAvailable below the replicas
// lets a drain proceed one pod at a time.
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { BUNDLE, ROOT, run } from '../e2e/tools.ts';

interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
}

function build(folder: string): Doc[] {
  const built = run('kubectl', ['kustomize', `${ROOT}/${folder}`]);
  expect(built.status, built.stderr).toBe(0);
  return parseAllDocuments(built.stdout).map((d) => d.toJS() as Doc);
}

const CLUSTER_SCOPED = new Set(['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding']);

interface Container {
  args: string[];
  env: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  ports: { name: string; containerPort: number }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
}

function deploymentOf(docs: Doc[]) {
  const deployment = docs.find((d) => d.kind === 'Deployment')!;
  const spec = deployment.spec as { replicas: number; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: { affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: { podAffinityTerm: { topologyKey: string; labelSelector: { matchLabels: Record<string, string> } } }[] } }; containers: Container[] } } };
  return { deployment, spec, container: spec.template.spec.containers[0]! };
}

describe('kubectl apply -k manifests/', () => {
  it('installs in an order the API server accepts: the Namespace first, every namespaced object in a namespace the install creates', () => {
    const docs = build('manifests');
    expect(docs[0]).toMatchObject({ kind: 'Namespace', metadata: { name: 'switchyard-system' } });
    expect(docs.map((d) => d.kind)).toEqual(expect.arrayContaining(['CustomResourceDefinition', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'ConfigMap', 'Deployment', 'PodDisruptionBudget']));
    const created = new Set(docs.filter((d) => d.kind === 'Namespace').map((d) => d.metadata.name));
    for (const d of docs.filter((x) => !CLUSTER_SCOPED.has(x.kind))) expect(created.has(d.metadata.namespace ?? ''), `${d.kind} ${d.metadata.name}`).toBe(true);
    // The CRD comes before anything that could use it (kustomize's order: Namespace, CRD, then the rest).
    expect(docs.findIndex((d) => d.kind === 'CustomResourceDefinition')).toBe(1);
  });

  it('the Deployment: two replicas on different nodes, probes on the port the controller serves them on, on the pod IP, and a PodDisruptionBudget', () => {
    const docs = build('manifests');
    const { spec, container } = deploymentOf(docs);
    expect(spec.replicas).toBe(2);
    const term = spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]!.podAffinityTerm;
    expect(term.topologyKey).toBe('kubernetes.io/hostname');
    expect(term.labelSelector.matchLabels).toEqual(spec.selector.matchLabels);
    const port = Number(container.args.find((a) => a.startsWith('--health-port='))!.split('=')[1]);
    expect(container.ports).toContainEqual({ name: 'health', containerPort: port });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/livez', port: 'health' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health' });
    expect(container.args).toContain('--health-address=$(POD_IP)');
    expect(container.env).toContainEqual({ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
    const pdb = docs.find((d) => d.kind === 'PodDisruptionBudget')!;
    expect((pdb.spec as { minAvailable: number }).minAvailable).toBeLessThan(spec.replicas);
    expect((pdb.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels).toEqual(spec.template.metadata.labels);
  });

  it('the controller accepts exactly the arguments the Deployment gives it', () => {
    for (const folder of ['manifests', 'manifests/namespaced']) {
      const { container } = deploymentOf(build(folder));
      const args = container.args.map((a) => a.replace('$(POD_IP)', '127.0.0.1'));
      const parsed = run('node', [BUNDLE, ...args, '--help']);
      expect(parsed.status, `${folder}: ${parsed.stderr}`).toBe(0);
    }
  });

  it('manifests/namespaced: Roles instead of the ClusterRole, one namespace instead of all', () => {
    const docs = build('manifests/namespaced');
    expect(docs[0]!.kind).toBe('Namespace');
    expect(docs.filter((d) => d.kind === 'ClusterRole' || d.kind === 'ClusterRoleBinding')).toEqual([]);
    const { container } = deploymentOf(docs);
    expect(container.args).toContain('--namespace=shop');
    expect(container.args).not.toContain('--all-namespaces');
    expect(docs.filter((d) => d.kind === 'Role').map((d) => `${d.metadata.namespace}/${d.metadata.name}`).sort()).toEqual(['shop/switchyard-reconcile', 'switchyard-system/switchyard-reconcile-leader']);
  });
});
