// The RoutingPolicy, validated and with its defaults filled in.
import { DEFAULT_BRANCH_HEADER, DEFAULT_ENVIRONMENT_HEADER, POLICY_KIND, API_VERSION, type RoutingPolicy, type Sourced, type RouteSettings } from '../model/kinds.ts';
import type { Result } from '../model/result.ts';
import { checkPolicySchema } from '../schema/validate.ts';
import { checkHeaderName } from './headers.ts';
import { checkHost, hostsOverlap } from './hosts.ts';
import { resultFor, type Subject } from './messages.ts';
import { checkPolicyIstioFields } from './policy-istio.ts';

export type MatchKind = 'exact' | 'prefix' | 'regex';

export interface PolicyEnvironment {
  name: string;
  hosts: string[];
  isDefault: boolean;
  allowBranches: boolean;
  releasePaths?: string[];
  /** The service that answers this environment's hosts at the gateways: its own, else the policy's. */
  hostService?: ServiceRef;
}

/** `frontend` or `shop/frontend`. */
export interface ServiceRef {
  namespace?: string;
  service: string;
}

export const parseServiceRef = (ref: string): ServiceRef => {
  const slash = ref.indexOf('/');
  return slash < 0 ? { service: ref } : { namespace: ref.slice(0, slash), service: ref.slice(slash + 1) };
};

export interface Policy {
  branchHeader: string;
  /** Set by gateway routes to the environment's name; mesh routes match on it. */
  environmentHeader: string;
  allowedHeaders: ReadonlySet<string>;
  allowedMatches: ReadonlySet<MatchKind>;
  invalidBranches: 'quarantine' | 'fail';
  /** In policy order. */
  environments: PolicyEnvironment[];
  gateways?: string[];
  exportTo?: string[];
  routeSettings?: RouteSettings;
  trafficPolicy?: Record<string, unknown>;
}

export function policySubject(sourced: Sourced<unknown>): Subject {
  const object = (sourced.object ?? {}) as { metadata?: { name?: unknown; namespace?: unknown } };
  const ref = { apiVersion: API_VERSION, kind: POLICY_KIND, name: typeof object.metadata?.name === 'string' ? object.metadata.name : '' };
  return {
    ref: typeof object.metadata?.namespace === 'string' ? { ...ref, namespace: object.metadata.namespace } : ref,
    source: sourced.source,
  };
}

/** Validates the policy; any problem is an error, since the policy shapes every route. */
export function resolvePolicy(sourced: Sourced<unknown>): { policy?: Policy; results: Result[] } {
  const subject = policySubject(sourced);
  const problems = checkPolicySchema(sourced.object);
  const results = problems.map((p) => resultFor(subject, 'error', p.message, p.path));
  if (results.length > 0) return { results };

  const spec = (sourced.object as RoutingPolicy).spec;
  const error = (message: string, field?: string) => results.push(resultFor(subject, 'error', message, field));
  const branchHeader = spec.branchHeader ?? DEFAULT_BRANCH_HEADER;
  const allowedHeaders = spec.allowedHeaders ?? [branchHeader];
  const headerProblem = checkHeaderName(branchHeader);
  if (headerProblem) error(headerProblem, 'spec.branchHeader');
  (spec.allowedHeaders ?? []).forEach((header, i) => {
    const problem = checkHeaderName(header);
    if (problem) error(problem, `spec.allowedHeaders[${i}]`);
  });
  const environmentHeader = spec.environmentHeader ?? DEFAULT_ENVIRONMENT_HEADER;
  const environmentProblem = checkHeaderName(environmentHeader);
  if (environmentProblem) error(environmentProblem, 'spec.environmentHeader');
  else if (environmentHeader === branchHeader || allowedHeaders.includes(environmentHeader)) {
    error(`is ${environmentHeader}, which branch fragments match on too; the environment header must be a header of its own: set spec.environmentHeader to another name, such as x-environment.`, 'spec.environmentHeader');
  }

  const seenNames = new Map<string, number>();
  const hostOwner = new Map<string, string>();
  const defaults: string[] = [];
  spec.environments.forEach((env, i) => {
    const at = `spec.environments[${i}]`;
    const earlier = seenNames.get(env.name);
    if (earlier !== undefined) error(`names environment ${env.name} again (also spec.environments[${earlier}]); give each environment its own name.`, `${at}.name`);
    seenNames.set(env.name, i);
    if (env.default) defaults.push(env.name);
    (env.hosts ?? []).forEach((host, j) => {
      const invalid = checkHost(host);
      if (invalid) return error(invalid, `${at}.hosts[${j}]`);
      const owner = hostOwner.get(host);
      if (owner !== undefined && owner !== env.name) return error(`is ${host}, a host of environment ${owner} too; a host belongs to one environment.`, `${at}.hosts[${j}]`);
      for (const [other, otherEnv] of hostOwner) {
        if (other === host || !hostsOverlap(host, other)) continue;
        const whose = otherEnv === env.name ? `host ${other} of the same environment` : `host ${other} of environment ${otherEnv}`;
        error(`is ${host}, which matches some requests that ${whose} matches too; Istio refuses overlapping hosts in one VirtualService and cannot tell two environments apart by such hosts: list hosts that do not overlap (such as ${host.startsWith('*.') ? `the exact hosts under ${host.slice(2)}` : `a host outside ${other.replace(/^\*\./, '')}`}).`, `${at}.hosts[${j}]`);
      }
      hostOwner.set(host, env.name);
    });
    if (!env.default && (env.hosts ?? []).length === 0) {
      error(`has no hosts and is not the default, so no request could reach it; give it hosts or make it the default.`, at);
    }
  });
  if (defaults.length > 1) error(`marks ${defaults.join(' and ')} as default; at most one environment may be the default (the catch-all route).`, 'spec.environments');
  // Istio's own schema and webhook rules for the values the policy hands to Istio (istio-rules.ts).
  const istio = checkPolicyIstioFields(spec);
  for (const p of istio.errors) error(p.message, p.path);
  if (results.length > 0) return { results };
  for (const p of istio.warnings) results.push(resultFor(subject, 'warning', p.message, p.path));

  const policy: Policy = {
    branchHeader,
    allowedHeaders: new Set(allowedHeaders),
    allowedMatches: new Set(spec.allowedMatches ?? ['exact']),
    invalidBranches: spec.invalidBranches ?? 'quarantine',
    environmentHeader,
    environments: spec.environments.map((env) => ({
      name: env.name,
      hosts: env.hosts ?? [],
      isDefault: env.default === true,
      allowBranches: env.allowBranches !== false,
      ...(env.releasePaths ? { releasePaths: env.releasePaths } : {}),
      ...(env.hostService ?? spec.hostService ? { hostService: parseServiceRef((env.hostService ?? spec.hostService)!) } : {}),
    })),
    ...(spec.gateways ? { gateways: spec.gateways } : {}),
    ...(spec.exportTo ? { exportTo: spec.exportTo } : {}),
    ...(spec.routeSettings ? { routeSettings: spec.routeSettings } : {}),
    ...(spec.trafficPolicy ? { trafficPolicy: spec.trafficPolicy as Record<string, unknown> } : {}),
  };
  return { policy, results };
}
