// `switchyard check`'s diagnostics on what a render produced (and any other VirtualService or
// DestinationRule of the input), deeper than comparing identical JSON:
//   - a route that never answers, because an earlier route takes every request it matches
//     (a prefix or regex branch value covering another one; anything after a catch-all);
//   - a catch-all route that is not last;
//   - a destination subset that the host's DestinationRule does not define;
//   - a subset whose labels select no pod of the workloads in the input (only judged where the
//     input holds pod-bearing workloads of that namespace);
//   - the size of VirtualServices and DestinationRules that the merge did not make (it checks its own).
// Pure: objects in, results out.
import type { KubeObject, RouteFragment, Sourced } from '../model/kinds.ts';
import type { Result, Severity } from '../model/result.ts';
import { MANAGED_BY, MANAGED_BY_LABEL } from './build.ts';
import { byString, fingerprint } from './canonical.ts';
import { describeMatcher, entriesOf, findShadows, serviceFqdn, type Condition, type RouteLike } from './evaluate.ts';
import { describeSubject, qualified, resultFor, type Subject } from './messages.ts';
import type { FragmentIndex } from './provenance.ts';
import { checkSize } from './size.ts';
import { claimsOf, describeClaimant, describeConflict, findHostConflicts } from './host-claims.ts';
import { type Json, isRecord } from '../model/json.ts';

export interface AnalyzeInput {
  /** Every object the render printed (or the input, where nothing was rendered). */
  objects: readonly Sourced<KubeObject>[];
  /** The fragments of the input, to name where a generated route came from. */
  fragments: FragmentIndex;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Where each pod-bearing kind keeps its pods' labels. */
const POD_LABELS: Record<string, readonly string[]> = {
  Pod: ['metadata', 'labels'],
  Deployment: ['spec', 'template', 'metadata', 'labels'],
  StatefulSet: ['spec', 'template', 'metadata', 'labels'],
  DaemonSet: ['spec', 'template', 'metadata', 'labels'],
  ReplicaSet: ['spec', 'template', 'metadata', 'labels'],
  ReplicationController: ['spec', 'template', 'metadata', 'labels'],
  Job: ['spec', 'template', 'metadata', 'labels'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'metadata', 'labels'],
  Rollout: ['spec', 'template', 'metadata', 'labels'], // Argo Rollouts
  DeploymentConfig: ['spec', 'template', 'metadata', 'labels'], // OpenShift
};

export const isPodBearing = (kind: unknown): boolean => typeof kind === 'string' && kind in POD_LABELS;

const at = (object: unknown, path: readonly string[]): unknown => path.reduce<unknown>((o, k) => (isRecord(o) ? o[k] : undefined), object);

interface Named {
  kind: string;
  name: string;
  namespace?: string;
  generated: boolean;
  subject: Subject;
  object: KubeObject;
}

function named(s: Sourced<KubeObject>): Named {
  const { object } = s;
  const meta = isRecord(object.metadata) ? object.metadata : {};
  const kind = str(object.kind) ?? '';
  const name = str(meta.name) ?? '';
  const namespace = str(meta.namespace);
  const generated = isRecord(meta.labels) && meta.labels[MANAGED_BY_LABEL] === MANAGED_BY;
  const ref = { apiVersion: str(object.apiVersion) ?? '', kind, name, ...(namespace ? { namespace } : {}) };
  // What the merge made has no file of its own (render prints it); a hand-written object does.
  return { kind, name, ...(namespace ? { namespace } : {}), generated, subject: { ref, source: generated ? {} : s.source }, object };
}

export function analyzeRouting(input: AnalyzeInput): Result[] {
  const all = input.objects.map(named);
  const virtualServices = all.filter((o) => o.kind === 'VirtualService');
  const destinationRules = all.filter((o) => o.kind === 'DestinationRule');
  const results: Result[] = [];
  for (const vs of virtualServices) results.push(...routeOrder(vs, input.fragments), ...subsetReferences(vs, destinationRules));
  for (const dr of destinationRules) results.push(...unselectedSubsets(dr, all, input.fragments));
  results.push(...hostConflicts(virtualServices));
  for (const o of [...virtualServices, ...destinationRules]) {
    if (o.generated || !isRecord(o.object.metadata)) continue; // the merge already measured what it made
    const tooBig = checkSize(o.object as unknown as Parameters<typeof checkSize>[0]); // named() read its kind and metadata
    if (tooBig) results.push(o.subject.source.path ? { ...tooBig, file: { path: o.subject.source.path } } : tooBig);
  }
  return results;
}

/** Two VirtualServices that claim one host (or overlapping wildcards) on one gateway or the mesh, any namespace. */
function hostConflicts(virtualServices: readonly Named[]): Result[] {
  const claims = virtualServices.map((vs) => ({ vs, claims: claimsOf(vs.object, vs.generated ? undefined : vs.subject.source.path) }));
  const byClaims = new Map(claims.map((c) => [c.claims, c.vs]));
  return findHostConflicts(claims.map((c) => c.claims)).map((conflict) => {
    const exact = conflict.hostA === conflict.hostB;
    const fix = exact
      ? 'keep the host in one of them (Switchyard makes one VirtualService per environment host: let it take over, by name, or move the routes into a base of that name)'
      : 'list hosts that do not overlap, or move the routes into one VirtualService';
    const subject = byClaims.get(conflict.b)!.subject;
    return resultFor(subject, exact && conflict.gateway === 'mesh' ? 'error' : 'warning', `claims ${describeConflict({ ...conflict, hostA: conflict.hostB, hostB: conflict.hostA })}, as ${describeClaimant(conflict.a)} does; ${conflict.gateway === 'mesh' ? 'on the mesh Istio uses only one of them (IST0109)' : 'at a gateway Istio merges their routes in no set order, and the first catch-all hides the rest'}: ${fix}.`);
  });
}

const httpOf = (vs: Named): RouteLike[] => {
  const http = at(vs.object, ['spec', 'http']);
  return Array.isArray(http) ? http.map((r) => (isRecord(r) ? r : {})) : [];
};

const routeLabel = (route: RouteLike, index: number): string => (typeof route.name === 'string' ? `route ${route.name} (http[${index}])` : `http[${index}]`);

/** The fragment behind a generated route, if it can be told. */
function routeFragment(vs: Named, route: RouteLike, fragments: FragmentIndex): Sourced<RouteFragment> | undefined {
  if (!vs.generated) return undefined;
  const first = Array.isArray(route.route) && isRecord(route.route[0]) && isRecord(route.route[0].destination) ? str(route.route[0].destination.subset) : undefined;
  return fragments.routeOrigin(vs.namespace, vs.name, str(route.name), first);
}

const fragmentSubject = (f: Sourced<RouteFragment>): Subject => ({
  ref: { apiVersion: f.object.apiVersion, kind: f.object.kind, name: f.object.metadata.name, ...(f.object.metadata.namespace ? { namespace: f.object.metadata.namespace } : {}) },
  source: f.source,
});

function showCondition(c: Condition): string {
  return c.matcher ? `${c.label} ${describeMatcher(c.matcher)}` : `${c.label} ${JSON.stringify(c.raw)}`;
}

/**
 * Why the earlier entry takes every request of the later one: each of its conditions that differs
 * from the later one's (`header x-branch prefix "feature-" takes exact "feature-jp12"`).
 */
function why(earlier: Condition[] | undefined, later: Condition[]): string {
  if (!earlier || earlier.length === 0) return 'it has no match, so it takes every request';
  const same = (a: Condition, b: Condition | undefined) => b !== undefined && fingerprint(a.raw) === fingerprint(b.raw) && (a.negated === true) === (b.negated === true);
  const differing = earlier.filter((a) => !same(a, later.find((c) => c.field === a.field)));
  if (differing.length === 0) {
    return later.length > earlier.length ? `it asks only for ${earlier.map(showCondition).join(' and ')}, which every request of this route carries` : 'it matches the same requests';
  }
  return differing
    .map((a) => {
      const b = later.find((c) => c.field === a.field);
      return b ? `${showCondition(a)} takes ${describeMatcher(b.matcher ?? { kind: 'present' })}` : showCondition(a);
    })
    .join(', and ');
}

function routeOrder(vs: Named, fragments: FragmentIndex): Result[] {
  const http = httpOf(vs);
  const results: Result[] = [];
  const where = `VirtualService ${qualified(vs.namespace, vs.name)}`;

  const firstCatchAll = http.findIndex((r) => {
    const entries = entriesOf(r);
    return entries === undefined || entries.some((c) => c.length === 0);
  });
  if (firstCatchAll >= 0 && firstCatchAll < http.length - 1) {
    const after = http.slice(firstCatchAll + 1).map((r, i) => routeLabel(r, firstCatchAll + 1 + i));
    pushWithField(
      results,
      resultFor(
        vs.subject,
        'warning',
        `${routeLabel(http[firstCatchAll]!, firstCatchAll)} matches every request (it has no match conditions) but is not the last route, so the ${after.length} route${after.length === 1 ? '' : 's'} after it never answer${after.length === 1 ? 's' : ''} (${after.join(', ')}); move the catch-all to the end, or give it a match.`,
      ),
      `spec.http[${firstCatchAll}]`,
    );
  }

  for (const shadow of findShadows(http)) {
    const route = http[shadow.route]!;
    const entries = entriesOf(route) ?? [[]];
    const byRoutes = [...new Set(shadow.entries.map((e) => e.by.route))];
    const reasons = shadow.entries.map((e) => {
      const earlierRoute = http[e.by.route]!;
      const earlierEntries = entriesOf(earlierRoute);
      const earlier = e.by.entry === undefined || earlierEntries === undefined ? undefined : earlierEntries[e.by.entry];
      const origin = routeFragment(vs, earlierRoute, fragments);
      const from = origin ? `, from ${describeSubject(fragmentSubject(origin))}` : '';
      const part = shadow.complete && entries.length === 1 ? '' : `match[${e.entry}]: `;
      return `${part}${routeLabel(earlierRoute, e.by.route)}${from ? `${from},` : ''} comes first (${why(earlier, entries[e.entry]!)})`;
    });
    const what = shadow.complete ? 'never answers' : `answers only some of its requests (${shadow.entries.length} of its ${entries.length} match entries are taken earlier)`;
    const origin = routeFragment(vs, route, fragments);
    const earlierOrigins = byRoutes.map((i) => routeFragment(vs, http[i]!, fragments)).filter((f): f is Sourced<RouteFragment> => f !== undefined);
    const fix =
      origin && earlierOrigins.length > 0
        ? `narrow spec.branch.value of ${earlierOrigins.map((f) => describeSubject(fragmentSubject(f))).join(', ')}, or delete the fragment that is not needed.`
        : origin
          ? 'change its match so that it differs from the earlier route, or delete the fragment if it is not needed.'
          : vs.generated
            ? 'remove or narrow the fragment behind the earlier route.'
            : 'move it before the route that takes its requests, or narrow that route\'s match.';
    if (origin) {
      pushWithField(results, resultFor(fragmentSubject(origin), 'warning', `its ${routeLabel(route, shadow.route)} in ${where} ${what}: ${reasons.join('; ')}; ${fix}`), 'spec.branch');
    } else {
      pushWithField(results, resultFor(vs.subject, 'warning', `${routeLabel(route, shadow.route)} ${what}: ${reasons.join('; ')}; ${fix}`), `spec.http[${shadow.route}].match`);
    }
  }
  return results;
}

/** A result about a field whose message does not start with the field's name. */
function pushWithField(results: Result[], result: Result, path: string): void {
  results.push({ ...result, field: { path } });
}

/** DestinationRules by the fully qualified name of their host. */
function hostKey(host: string, namespace: string | undefined): string {
  return serviceFqdn(host, namespace) ?? host;
}

function subsetReferences(vs: Named, destinationRules: readonly Named[]): Result[] {
  // The subsets each host's DestinationRules define, gathered once: a VirtualService may have thousands of routes.
  const byHost = new Map<string, { rules: Named[]; subsets: Set<string> }>();
  for (const dr of destinationRules) {
    const drHost = str(at(dr.object, ['spec', 'host']));
    if (drHost === undefined) continue;
    const key = hostKey(drHost, dr.namespace);
    const entry = byHost.get(key) ?? { rules: [], subsets: new Set<string>() };
    byHost.set(key, entry);
    entry.rules.push(dr);
    const subsets = at(dr.object, ['spec', 'subsets']);
    if (Array.isArray(subsets)) for (const s of subsets) if (isRecord(s) && typeof s.name === 'string') entry.subsets.add(s.name);
  }
  const results: Result[] = [];
  httpOf(vs).forEach((route, i) => {
    if (!Array.isArray(route.route)) return;
    route.route.forEach((d, j) => {
      const destination = isRecord(d) && isRecord(d.destination) ? d.destination : undefined;
      const host = str(destination?.host);
      const subset = str(destination?.subset);
      if (!host || !subset) return;
      const known = byHost.get(hostKey(host, vs.namespace));
      if (!known || known.subsets.has(subset)) return; // no DestinationRule in the input (it may live elsewhere), or defined
      const names = known.rules.map((dr) => `DestinationRule ${qualified(dr.namespace, dr.name)}${dr.subject.source.path ? ` (${dr.subject.source.path})` : ''}`).join(', ');
      const defined = [...known.subsets].sort(byString);
      results.push(
        resultFor(
          vs.subject,
          'error',
          `is ${subset}, which ${names} for host ${host} does not define (its subsets: ${defined.length > 0 ? defined.join(', ') : 'none'}), so Istio answers these requests with 503; add the subset, or route to one that exists.`,
          `spec.http[${i}].route[${j}].destination.subset`,
        ),
      );
    });
  });
  return results;
}

function unselectedSubsets(dr: Named, all: readonly Named[], fragments: FragmentIndex): Result[] {
  const host = str(at(dr.object, ['spec', 'host']));
  const fqdn = host && serviceFqdn(host, dr.namespace);
  if (!host || !fqdn) return [];
  const [service, namespace] = fqdn.split('.') as [string, string];
  const inNamespace = (o: Named) => o.namespace === namespace || o.namespace === undefined;
  const workloads = all.filter((o) => isPodBearing(o.kind) && inNamespace(o));
  if (workloads.length === 0) return []; // nothing to judge against
  const podLabels = workloads.map((w) => at(w.object, POD_LABELS[w.kind]!));
  if (podLabels.some((l) => !isRecord(l))) return []; // a workload whose pods cannot be read (a Rollout's workloadRef): no verdict
  // Pods by each label they carry, so that thousands of subsets and workloads stay fast.
  const byLabel = new Map<string, Json[]>();
  for (const pod of podLabels as Json[]) {
    for (const [k, v] of Object.entries(pod)) {
      const key = `${k}\u0000${String(v)}`;
      const list = byLabel.get(key);
      if (list) list.push(pod);
      else byLabel.set(key, [pod]);
    }
  }
  const selector = all.find((o) => o.kind === 'Service' && o.name === service && inNamespace(o));
  const serviceSelector = selector ? at(selector.object, ['spec', 'selector']) : undefined;
  const selects = (labels: Json, pod: Json) => Object.entries(labels).every(([k, v]) => pod[k] === v);

  const results: Result[] = [];
  const subsets = at(dr.object, ['spec', 'subsets']);
  if (!Array.isArray(subsets)) return [];
  subsets.forEach((s, i) => {
    if (!isRecord(s) || typeof s.name !== 'string' || !isRecord(s.labels)) return;
    const labels = s.labels;
    const candidates = Object.entries(labels)
      .map(([k, v]) => byLabel.get(`${k}\u0000${String(v)}`) ?? [])
      .reduce((a, b) => (b.length < a.length ? b : a), podLabels as Json[]);
    if (candidates.some((pod) => selects(labels, pod) && (!isRecord(serviceSelector) || selects(serviceSelector, pod)))) return;
    const shown = Object.entries(s.labels)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(', ');
    const listed = workloads.slice(0, 5).map((w) => `${w.kind} ${w.name}`);
    const more = workloads.length > 5 ? `, and ${workloads.length - 5} more` : '';
    const also = isRecord(serviceSelector) ? ` together with Service ${qualified(namespace, service)}'s selector` : '';
    const severity: Severity = 'warning';
    const tail = `select no pod of the workloads of namespace ${namespace} in the input (${listed.join(', ')}${more}), so traffic sent to subset ${s.name} finds no endpoint (503); make the labels match the build's pod template labels, or deploy the build.`;
    const origins = dr.generated ? fragments.subsetOrigins(dr.namespace, service, s.name) : [];
    if (origins.length > 0) {
      const others = origins.slice(1).map((f) => describeSubject(fragmentSubject(f)));
      results.push(
        resultFor(fragmentSubject(origins[0]!), severity, `are {${shown}}, which${also} ${tail}${others.length > 0 ? ` (${others.join(', ')} define the same subset.)` : ''}`, 'spec.subset.labels'),
      );
    } else {
      pushWithField(results, resultFor(dr.subject, severity, `subset ${s.name}'s labels {${shown}}${also} ${tail}`), `spec.subsets[${i}].labels`);
    }
  });
  return results;
}
