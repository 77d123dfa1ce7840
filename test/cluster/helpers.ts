// Shared by the cluster tests: a fake API server with a connected Cluster (the real client-node
// stack), object builders, and readers of what the server holds.
import { connect } from '../../src/cluster/client.ts';
import { runController, type ControllerOptions } from '../../src/cluster/controller.ts';
import type { Cluster } from '../../src/cluster/cluster.ts';
import { reconcileNamespace, type ReconcileOptions, type ReconcileOutcome } from '../../src/cluster/reconcile.ts';
import type { ClusterObject } from '../../src/cluster/resources.ts';
import type { RouteFragment } from '../../src/model/kinds.ts';
import { NOW, policy, RENDERED_BY } from '../builders.ts';
import { FakeApiServer, type FakeApiServerOptions, type Obj, type StoredEvent } from './fake-api-server.ts';

export { branch, fragment, policy, release } from '../builders.ts';

export interface Env {
  server: FakeApiServer;
  cluster: Cluster;
}

export async function startEnv(options: FakeApiServerOptions = {}): Promise<Env> {
  const server = await FakeApiServer.start(options);
  const cluster = await connect({ kubeconfig: server.kubeconfig });
  return { server, cluster };
}

/**
 * One environment without hosts: each service gets exactly one VirtualService (its mesh one) and one
 * DestinationRule, so these tests are about writing and racing, not about host routing (which
 * test/host-routing.test.ts and test/merge/routes.test.ts cover; cli.test.ts reconciles the
 * example's policy with its gateway VirtualServices).
 */
export const POLICY = { object: policy({ environments: [{ name: 'production', default: true, allowBranches: false }] }), source: { path: 'policy.yaml' } };

/** One reconcile of a namespace with test defaults (fixed clock, short backoff). */
/**
 * The controller as the tests run it: the test policy, no settle time, nothing reported unless
 * `options` says otherwise; `stop.abort()` ends it, and `done` settles when it has.
 */
export function startController(cluster: Cluster, options: Partial<ControllerOptions> & Pick<ControllerOptions, 'namespace'>): { stop: AbortController; done: Promise<void> } {
  const stop = new AbortController();
  const done = runController({ cluster, loadPolicy: () => POLICY, renderedBy: RENDERED_BY, signal: stop.signal, reconcile: { settleMs: 0 }, report: () => undefined, ...options });
  return { stop, done };
}

export function reconcile(cluster: Cluster, namespace = 'shop', options: Partial<ReconcileOptions> = {}): Promise<ReconcileOutcome> {
  return reconcileNamespace({ cluster, namespace, policy: POLICY, now: () => NOW, renderedBy: RENDERED_BY, backoff: { baseMs: 2, maxMs: 20 }, settleMs: 0, ...options });
}

export function deployment(name: string, namespace = 'shop'): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { app: 'checkout' } },
    spec: { replicas: 1, selector: { matchLabels: { app: 'checkout', version: name } }, template: { metadata: { labels: { app: 'checkout', version: name } }, spec: { containers: [{ name: 'app', image: `checkout:${name}` }] } } },
  };
}

/** A fragment as stored in the cluster (the builders' objects are RouteFragments already). */
export const stored = (f: RouteFragment): Obj => structuredClone(f) as unknown as Obj;

/** The route names of a VirtualService, in order; undefined when there is none. */
export function routeNames(server: FakeApiServer, name = 'checkout', namespace = 'shop'): string[] | undefined {
  const vs = server.get('virtualservices', namespace, name);
  return vs ? ((vs.spec as { http: { name: string }[] }).http ?? []).map((r) => r.name) : undefined;
}

export function subsetNames(server: FakeApiServer, name = 'checkout', namespace = 'shop'): string[] | undefined {
  const dr = server.get('destinationrules', namespace, name);
  return dr ? ((dr.spec as { subsets: { name: string }[] }).subsets ?? []).map((s) => s.name) : undefined;
}

/** Every subset the VirtualService's routes send traffic to. */
export function routedSubsets(vs: Obj | ClusterObject | undefined): string[] {
  const http = ((vs?.spec as { http?: { route: { destination: { subset: string } }[] }[] } | undefined)?.http ?? []);
  return [...new Set(http.flatMap((r) => r.route.map((d) => d.destination.subset)))].sort();
}

/**
 * Replays the server's history and returns every moment (resourceVersion) at which a VirtualService
 * routed to a subset its DestinationRule did not define: what make-before-break must prevent.
 */
export function brokenMoments(history: readonly StoredEvent[], namespace = 'shop'): { resourceVersion: number; service: string; missing: string[] }[] {
  const state = new Map<string, Obj>();
  const broken: { resourceVersion: number; service: string; missing: string[] }[] = [];
  for (const event of history) {
    if (event.object.metadata.namespace !== namespace || (event.plural !== 'virtualservices' && event.plural !== 'destinationrules')) continue;
    const k = `${event.plural}/${event.object.metadata.name}`;
    if (event.type === 'DELETED') state.delete(k);
    else state.set(k, event.object);
    for (const [key, vs] of state) {
      if (!key.startsWith('virtualservices/')) continue;
      const dr = state.get(`destinationrules/${vs.metadata.name.split('.')[0]}`); // checkout.staging routes to checkout's subsets
      const defined = new Set(((dr?.spec as { subsets?: { name: string }[] } | undefined)?.subsets ?? []).map((s) => s.name));
      const missing = routedSubsets(vs).filter((s) => !defined.has(s));
      if (missing.length > 0) broken.push({ resourceVersion: event.resourceVersion, service: vs.metadata.name, missing });
    }
  }
  return broken;
}

export const writesTo = (server: FakeApiServer, resource: string) => server.requests.filter((r) => r.resource === resource && ['create', 'update', 'patch', 'delete'].includes(r.verb));

/** Polls until `check` passes or `timeoutMs` ends (then returns its last value for the assertion). */
export async function eventually<T>(read: () => T | Promise<T>, check: (value: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value) || Date.now() > end) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
}
