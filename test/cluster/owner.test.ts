// Pure: the ownerReference that ties a fragment to its Deployment, and what `apply` writes.
import { describe, expect, it } from 'vitest';
import { fragmentToApply, fragmentUpdate, ownerReferenceTo, parseOwner } from '../../src/cluster/owner.ts';
import type { ClusterObject } from '../../src/cluster/resources.ts';
import { branch } from '../builders.ts';

describe('owner references', () => {
  it('parses kubectl spellings of a Deployment, and refuses the rest', () => {
    for (const text of ['deployment/x', 'deployments/x', 'deploy/x', 'Deployment/x', 'deployment.apps/x']) expect(parseOwner(text)).toEqual({ kind: 'Deployment', name: 'x' });
    expect(parseOwner('statefulset/x')).toEqual({ problem: '--owner statefulset/x: only a Deployment can own a fragment; use deployment/NAME.' });
    expect(parseOwner('x')).toEqual({ problem: '--owner x is not KIND/NAME; use deployment/NAME.' });
  });

  it('owns the fragment by uid and names the workload when the fragment does not', () => {
    const owner = ownerReferenceTo({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'checkout-b', uid: 'u-1' } });
    const object = fragmentToApply(branch('checkout-b', 'b'), 'shop', owner);
    expect(object.metadata).toEqual({ name: 'checkout-b', namespace: 'shop', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'checkout-b', uid: 'u-1' }] });
    expect(object.spec).toMatchObject({ workload: { kind: 'Deployment', name: 'checkout-b' } });
  });

  it('leaves kpt and kustomize annotations out of the cluster object', () => {
    const annotated = { ...branch('checkout-b', 'b'), metadata: { name: 'checkout-b', annotations: { 'config.kubernetes.io/local-config': 'true', 'internal.config.kubernetes.io/path': 'f.yaml', team: 'a' } } };
    expect(fragmentToApply(annotated, 'shop', undefined).metadata).toEqual({ name: 'checkout-b', namespace: 'shop', annotations: { team: 'a' } });
  });

  it('an update keeps other owners and server fields, and replaces the reference to a re-created Deployment', () => {
    const existing: ClusterObject = {
      apiVersion: 'switchyard.dev/v1alpha1',
      kind: 'RouteFragment',
      metadata: {
        name: 'checkout-b',
        namespace: 'shop',
        uid: 'f-1',
        resourceVersion: '9',
        labels: { team: 'a' },
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'Deployment', name: 'checkout-b', uid: 'old' },
          { apiVersion: 'v1', kind: 'ConfigMap', name: 'keep', uid: 'c-1' },
        ],
      },
      spec: { old: true },
      status: { x: 1 },
    };
    const next = fragmentToApply({ ...branch('checkout-b', 'b'), metadata: { name: 'checkout-b', labels: { build: '7' } } }, 'shop', { apiVersion: 'apps/v1', kind: 'Deployment', name: 'checkout-b', uid: 'new' });
    const updated = fragmentUpdate(existing, next);
    expect(updated.metadata).toEqual({
      name: 'checkout-b',
      namespace: 'shop',
      uid: 'f-1',
      resourceVersion: '9',
      labels: { team: 'a', build: '7' },
      ownerReferences: [
        { apiVersion: 'v1', kind: 'ConfigMap', name: 'keep', uid: 'c-1' },
        { apiVersion: 'apps/v1', kind: 'Deployment', name: 'checkout-b', uid: 'new' },
      ],
    });
    expect(updated.spec).toEqual(next.spec);
    expect(updated.status).toBeUndefined();
  });
});
