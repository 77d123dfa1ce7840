// The RBAC manifests are least privilege, both ways: with their rules enforced by the fake API
// server, the controller and the pipeline commands succeed (every call allowed), and every verb
// the manifests grant is used by some call (nothing granted for nothing).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { applyFragments } from '../../src/cluster/apply.ts';
import { connect } from '../../src/cluster/client.ts';
import { discoverNamespaces } from '../../src/cluster/controller.ts';
import { ROOT, run } from '../e2e/tools.ts';
import { FakeApiServer, type RequestAttributes } from './fake-api-server.ts';
import { branch, deployment, eventually, fragment, reconcile, release, routeNames, startController, stored } from './helpers.ts';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}
interface Grant {
  namespace?: string; // undefined: cluster-wide (ClusterRole bound by a ClusterRoleBinding)
  rule: Rule;
}

/** The manifests as installed: a file, or a folder as `kubectl kustomize` builds it (what `kubectl apply -k` applies). */
function manifestText(path: string): string {
  if (path.endsWith('.yaml')) return readFileSync(join(ROOT, 'manifests', path), 'utf8');
  const built = run('kubectl', ['kustomize', join(ROOT, 'manifests', path)]);
  if (built.status !== 0) throw new Error(`kubectl kustomize manifests/${path}: ${built.stderr}`);
  return built.stdout;
}

function grantsOf(file: string): Grant[] {
  const docs = parseAllDocuments(manifestText(file)).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string }; rules?: Rule[]; roleRef?: { kind: string; name: string } });
  const roles = new Map(docs.filter((d) => d.kind === 'Role' || d.kind === 'ClusterRole').map((d) => [`${d.kind}/${d.metadata.name}`, d]));
  return docs
    .filter((d) => d.kind === 'RoleBinding' || d.kind === 'ClusterRoleBinding')
    .flatMap((binding) => {
      const role = roles.get(`${binding.roleRef!.kind}/${binding.roleRef!.name}`)!;
      const namespace = binding.kind === 'RoleBinding' ? binding.metadata.namespace : undefined;
      return role.rules!.map((rule) => ({ ...(namespace ? { namespace } : {}), rule }));
    });
}

const allows = (grant: Grant, r: RequestAttributes): boolean =>
  (grant.namespace === undefined || grant.namespace === r.namespace) &&
  grant.rule.apiGroups.includes(r.group) &&
  grant.rule.resources.includes(r.resource) &&
  grant.rule.verbs.includes(r.verb) &&
  (grant.rule.resourceNames === undefined || (r.name !== undefined && grant.rule.resourceNames.includes(r.name)));

/** Every (namespace, group, resource, verb, name) a grant stands for. */
const granted = (grants: Grant[]) =>
  grants.flatMap((g) => g.rule.apiGroups.flatMap((group) => g.rule.resources.flatMap((resource) => g.rule.verbs.map((verb) => ({ namespace: g.namespace, group, resource, verb, names: g.rule.resourceNames })))));

async function enforcing(file: string) {
  const grants = grantsOf(file);
  const denied: RequestAttributes[] = [];
  const server = await FakeApiServer.start({
    authorize: (r) => {
      const ok = grants.some((g) => allows(g, r));
      if (!ok) denied.push(r);
      return ok;
    },
  });
  // Tests seed and inspect the store directly; only the code under test goes through RBAC.
  return { grants, denied, server, cluster: await connect({ kubeconfig: server.kubeconfig }) };
}

function unused(grants: Grant[], requests: readonly RequestAttributes[]): string[] {
  return granted(grants)
    .filter((g) => !requests.some((r) => allows({ ...(g.namespace ? { namespace: g.namespace } : {}), rule: { apiGroups: [g.group], resources: [g.resource], verbs: [g.verb], ...(g.names ? { resourceNames: g.names } : {}) } }, r)))
    .map((g) => `${g.verb} ${g.resource}.${g.group}${g.namespace ? ` in ${g.namespace}` : ''}`);
}

describe('least-privilege RBAC manifests', () => {
  it('kubectl kustomize manifests/: `reconcile -A --watch` works with exactly these rules', async () => {
    const { grants, denied, server, cluster } = await enforcing('.');
    try {
      server.put('routefragments', stored(release('checkout-v1', 'production', 1)));
      server.put('routefragments', stored(fragment('payments-v1', { service: 'payments', release: { environment: 'production', revision: 1 } }, 'other')));
      const { stop, done } = startController(cluster, {
        namespace: undefined,
        leaderElection: { namespace: 'switchyard-system', name: 'switchyard-reconcile', identity: 'a', timings: { leaseDurationMs: 1_000, renewDeadlineMs: 700, retryPeriodMs: 50 } },
        debounceMs: 10,
      });
      await eventually(() => routeNames(server, 'payments', 'other'), (r) => r !== undefined);
      // A promotion (update, prune), a new build with its Deployment, the last fragment of a service gone (delete).
      server.delete('routefragments', 'shop', 'checkout-v1');
      server.put('routefragments', stored(release('checkout-v2', 'production', 2)));
      server.put('deployments', deployment('checkout-b1'));
      server.put('routefragments', stored(branch('checkout-b1', 'b1')));
      server.delete('routefragments', 'other', 'payments-v1');
      await eventually(() => [routeNames(server, 'payments', 'other'), routeNames(server)], ([gone, routes]) => gone === undefined && routes?.includes('branch:checkout-b1') === true);
      await new Promise((r) => setTimeout(r, 150)); // a few lease renewals
      stop.abort();
      await done;
      expect(await discoverNamespaces(cluster)).toEqual(['shop']);
      expect(denied).toEqual([]);
      expect(unused(grants, server.requests)).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  it('kubectl kustomize manifests/namespaced: `reconcile -n shop --watch` works with exactly these rules (Roles, no ClusterRole)', async () => {
    const { grants, denied, server, cluster } = await enforcing('namespaced');
    try {
      expect(grants.every((g) => g.namespace !== undefined)).toBe(true);
      server.put('routefragments', stored(release('checkout-v1', 'production', 1)));
      const { stop, done } = startController(cluster, {
        namespace: 'shop',
        leaderElection: { namespace: 'switchyard-system', name: 'switchyard-reconcile', identity: 'a', timings: { leaseDurationMs: 1_000, renewDeadlineMs: 700, retryPeriodMs: 50 } },
        debounceMs: 10,
      });
      await eventually(() => routeNames(server), (r) => r !== undefined);
      server.delete('routefragments', 'shop', 'checkout-v1');
      server.put('routefragments', stored(release('checkout-v2', 'production', 2)));
      server.put('deployments', deployment('checkout-b1'));
      server.put('routefragments', stored(branch('checkout-b1', 'b1')));
      await eventually(() => routeNames(server), (routes) => routes?.includes('branch:checkout-b1') === true);
      server.delete('routefragments', 'shop', 'checkout-v2');
      server.delete('routefragments', 'shop', 'checkout-b1');
      await eventually(() => routeNames(server), (routes) => routes === undefined);
      await new Promise((r) => setTimeout(r, 150)); // a few lease renewals
      stop.abort();
      await done;
      expect(denied).toEqual([]);
      expect(unused(grants, server.requests)).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  it('manifests/pipeline-rbac.yaml: `apply --owner` and `reconcile -n shop` work with exactly these rules', async () => {
    const { grants, denied, server, cluster } = await enforcing('pipeline-rbac.yaml');
    try {
      server.put('routefragments', stored(release('checkout-v1', 'production', 1)));
      server.put('routefragments', stored(fragment('payments-v1', { service: 'payments', release: { environment: 'production', revision: 1 } })));
      server.put('deployments', deployment('checkout-b1'));
      const apply = (value: string) => applyFragments({ cluster, fragments: [{ fragment: branch('checkout-b1', value), source: 'stdin' }], owner: { kind: 'Deployment', name: 'checkout-b1' } });
      expect((await apply('b1')).ok).toBe(true);
      expect((await reconcile(cluster)).ok).toBe(true);
      expect((await apply('b2')).ok).toBe(true); // update
      server.delete('routefragments', 'shop', 'payments-v1');
      server.delete('routefragments', 'shop', 'checkout-v1');
      server.put('routefragments', stored(release('checkout-v2', 'production', 2)));
      const outcome = await reconcile(cluster);
      expect(outcome.results.filter((r) => r.severity === 'error')).toEqual([]);
      expect(outcome.written.map((s) => s.action).sort()).toEqual(['delete', 'delete', 'prune', 'update', 'update']);
      expect(denied).toEqual([]);
      expect(unused(grants, server.requests)).toEqual([]);
    } finally {
      await server.stop();
    }
  });
});
