// `switchyard apply`: creates or updates RouteFragment objects, owned by their Deployment when asked,
// so that deleting the Deployment garbage-collects the fragment. Over the Cluster interface.
import { fingerprint } from '../merge/canonical.ts';
import type { RouteFragment } from '../model/kinds.ts';
import type { Result } from '../model/result.ts';
import { ConflictError, NotFoundError, type Cluster } from './cluster.ts';
import { fragmentToApply, fragmentUpdate, ownerReferenceTo, type OwnerName } from './owner.ts';
import { describe, withoutServerFields, type ClusterObject, type OwnerReference } from './resources.ts';

export interface ApplyInput {
  fragment: RouteFragment;
  /** Where it was read from, for messages (a file, or stdin). */
  source: string;
}

export interface ApplyOptions {
  cluster: Cluster;
  fragments: readonly ApplyInput[];
  /** -n: the namespace every fragment goes to (a fragment naming another one is an error). */
  namespace?: string;
  owner?: OwnerName;
  /** Conflicts with concurrent writers of the same fragment tolerated (default 5). */
  maxConflicts?: number;
}

export interface ApplyOutcome {
  ok: boolean;
  results: Result[];
  applied: ClusterObject[];
}

const ref = (object: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }) => ({
  apiVersion: object.apiVersion,
  kind: object.kind,
  name: object.metadata.name,
  ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
});

export async function applyFragments(options: ApplyOptions): Promise<ApplyOutcome> {
  const { cluster } = options;
  const results: Result[] = [];
  // Every check before the first write: a half-applied set is worse than none.
  const placed = options.fragments.map(({ fragment, source }) => {
    const own = fragment.metadata.namespace;
    if (options.namespace && own && own !== options.namespace) {
      results.push({
        severity: 'error',
        message: `${describe(fragment.kind, own, fragment.metadata.name)} (${source}): metadata.namespace is ${own}, but -n says ${options.namespace}; drop one of them.`,
        resourceRef: ref(fragment),
      });
    }
    return { fragment, source, namespace: options.namespace ?? own ?? cluster.defaultNamespace };
  });
  const owners = new Map<string, OwnerReference>();
  if (options.owner && results.length === 0) {
    for (const namespace of new Set(placed.map((p) => p.namespace))) {
      const deployment = await cluster.get('Deployment', namespace, options.owner.name);
      if (!deployment) {
        results.push({
          severity: 'error',
          message: `${describe('Deployment', namespace, options.owner.name)} does not exist, so it cannot own a fragment (the garbage collector would delete the fragment at once); deploy it first.`,
        });
      } else if (deployment.metadata.deletionTimestamp) {
        results.push({ severity: 'error', message: `${describe('Deployment', namespace, options.owner.name)} is being deleted, so it cannot own a fragment.` });
      } else owners.set(namespace, ownerReferenceTo(deployment));
    }
  }
  if (results.length > 0) return { ok: false, results, applied: [] };

  const applied: ClusterObject[] = [];
  for (const { fragment, namespace } of placed) {
    const desired = fragmentToApply(fragment, namespace, owners.get(namespace));
    const written = await createOrUpdate(cluster, namespace, desired, options.maxConflicts ?? 5);
    applied.push(written.object);
    const owner = owners.get(namespace);
    results.push({
      severity: 'info',
      message: `${written.how} ${describe(desired.kind, namespace, desired.metadata.name)}${owner ? `, owned by ${describe('Deployment', namespace, owner.name)} (uid ${owner.uid})` : ''}.`,
      resourceRef: ref(desired),
    });
  }
  return { ok: true, results, applied };
}

async function createOrUpdate(cluster: Cluster, namespace: string, desired: ClusterObject, maxConflicts: number): Promise<{ how: string; object: ClusterObject }> {
  for (let conflicts = 0; ; conflicts++) {
    try {
      const existing = await cluster.get('RouteFragment', namespace, desired.metadata.name);
      if (!existing) return { how: 'created', object: await cluster.create('RouteFragment', namespace, desired) };
      const next = fragmentUpdate(existing, desired);
      if (fingerprint(withoutServerFields(next)) === fingerprint(withoutServerFields(existing))) return { how: 'unchanged', object: existing };
      return { how: 'updated', object: await cluster.replace('RouteFragment', namespace, next) };
    } catch (error) {
      // Someone else created, changed or deleted it since the read: read again.
      if (!(error instanceof ConflictError || error instanceof NotFoundError) || conflicts >= maxConflicts) throw error;
    }
  }
}
