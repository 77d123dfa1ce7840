// `switchyard explain PATH... --host H [-H 'name: value']... [--path /p]`: renders the inputs,
// then says which route of the generated VirtualService answers the request and why (which
// conditions matched, why each earlier route did not), which subsets get what share, and which
// fragment each came from. The evaluation is src/merge/evaluate.ts, the same one check uses.
import { boundGateways, defaultGateway, describeMatcher, evaluateRoutes, hostWithoutPort, virtualHostOf, type ConditionOutcome, type Evaluation, type HttpRequest, type RouteLike } from '../merge/evaluate.ts';
import { qualified } from '../merge/messages.ts';
import { MANAGED_BY, MANAGED_BY_LABEL } from '../merge/build.ts';
import type { RouteFragment, Sourced } from '../model/kinds.ts';
import { finishCommand, parseFlags, parseNow, parseOutput, QUIET, type CommandRun } from './args.ts';
import { EXPLAIN_HELP } from './help.ts';
import { exitCodeFor, UsageError } from './io.ts';
import { renderForAnalysis, type RenderInputs } from './rendered.ts';
import { fragmentRef, jsonDocument } from './output-json.ts';
import { type Json, isRecord } from '../model/json.ts';

export interface ExplainOptions extends RenderInputs {
  request: HttpRequest;
  /** Only the VirtualService of this service (its name). */
  service?: string;
  /** Where the request arrives: a gateway as namespace/name, or mesh; default: the first gateway other than mesh that a VirtualService for the host is bound to, else mesh. */
  gateway?: string;
  namespace?: string;
  output: 'text' | 'json';
}

const OPTIONS = {
  host: { type: 'string' },
  header: { type: 'string', short: 'H', multiple: true },
  path: { type: 'string' },
  service: { type: 'string' },
  gateway: { type: 'string', short: 'g' },
  namespace: { type: 'string', short: 'n' },
  policy: { type: 'string' },
  now: { type: 'string' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `-H 'X-Branch: feature-jp12'` → `x-branch`, `feature-jp12`. A header given twice is joined with commas, as Envoy matches it. */
export function parseHeaders(values: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const text of values) {
    const colon = text.indexOf(':', text.startsWith(':') ? 1 : 0);
    const name = (colon < 0 ? text : text.slice(0, colon)).trim().toLowerCase();
    if (colon < 0 || name === '') throw new UsageError(`-H ${JSON.stringify(text)} is not a header; write it as 'name: value', such as -H 'x-branch: feature-jp12'.`);
    if (name === 'host' || name === ':authority') throw new UsageError(`-H ${JSON.stringify(text)} sets the host; give it with --host.`);
    const value = text.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  return headers;
}

/** Flags to options; `undefined` when --help was asked for. */
export function parseExplainArgs(args: readonly string[]): ExplainOptions | undefined {
  const { values, positionals } = parseFlags(args, OPTIONS);
  if (values.help) return undefined;
  if (positionals.length === 0) throw new UsageError('explain needs at least one PATH (a file, a folder, or - for stdin): what to render.');
  if (values.host === undefined || values.host === '') throw new UsageError('explain needs --host HOST: the host (authority) of the request, such as --host staging.shop.example.com.');
  const path = values.path ?? '/';
  if (!path.startsWith('/')) throw new UsageError(`--path ${path} does not start with /; give the request path, such as --path /cart.`);
  return {
    paths: positionals,
    ...(values.policy !== undefined ? { policy: values.policy } : {}),
    now: parseNow(values.now),
    request: { authority: values.host, path, headers: parseHeaders(values.header ?? []) },
    ...(values.service !== undefined ? { service: values.service } : {}),
    ...(values.gateway !== undefined && values.gateway !== '' ? { gateway: values.gateway } : {}),
    ...(values.namespace !== undefined ? { namespace: values.namespace } : {}),
    output: parseOutput(values.output, ['text', 'json'] as const),
  };
}


interface Answer {
  virtualService: { name: string; namespace?: string; file?: string };
  hosts: string[];
  namespace?: string;
  gateways: string[];
  /** Envoy's virtual host for the request holds this VirtualService (at the chosen gateway, by domain). */
  served: boolean;
  evaluation: Evaluation;
  http: RouteLike[];
  origin: (route: RouteLike, subset: string | undefined) => Sourced<RouteFragment> | undefined;
}

export function explain(options: ExplainOptions): CommandRun {
  const rendered = renderForAnalysis(options);
  const results = rendered.results.filter((r) => r.severity !== 'info');
  if (!rendered.ok) return { stdout: options.output === 'json' ? jsonDocument('explain', results, toJson({ ...options.request, gateway: options.gateway ?? '' }, [])) : '', results, exitCode: exitCodeFor(results) };

  const all: Answer[] = rendered.objects
    .filter((o) => o.object.kind === 'VirtualService')
    .map(({ object, source }) => {
      const meta = isRecord(object.metadata) ? object.metadata : {};
      const name = String(meta.name ?? '');
      const namespace = typeof meta.namespace === 'string' ? meta.namespace : undefined;
      const spec = isRecord(object.spec) ? object.spec : {};
      const hosts = Array.isArray(spec.hosts) ? spec.hosts.filter((h): h is string => typeof h === 'string') : [];
      const http: RouteLike[] = Array.isArray(spec.http) ? spec.http.map((r) => (isRecord(r) ? r : {})) : [];
      const generated = isRecord(meta.labels) && meta.labels[MANAGED_BY_LABEL] === MANAGED_BY;
      return {
        virtualService: { name, ...(namespace ? { namespace } : {}), ...(!generated && source.path ? { file: source.path } : {}) },
        ...(namespace ? { namespace } : {}),
        gateways: boundGateways(Array.isArray(spec.gateways) ? spec.gateways.filter((g): g is string => typeof g === 'string') : undefined, namespace),
        served: false,
        evaluation: evaluateRoutes(http, options.request),
        http,
        origin: (route: RouteLike, subset: string | undefined) =>
          generated ? rendered.origins.routeOrigin(namespace, name, typeof route.name === 'string' ? route.name : undefined, subset) : undefined,
        hosts,
      };
    })
    .filter((a) => (options.service === undefined || a.virtualService.name.split('.')[0] === options.service) && (options.namespace === undefined || a.virtualService.namespace === options.namespace));
  // Envoy picks one virtual host per request: among the VirtualServices bound to the gateway, the best domain match
  const gateway = options.gateway ?? defaultGateway(all, options.request.authority);
  const bound = all.filter((a) => a.gateways.includes(gateway));
  for (const a of virtualHostOf(all, gateway, options.request.authority)) a.served = true;
  const answers = bound;
  const request = { ...options.request, gateway };

  const stdout = options.output === 'json' ? jsonDocument('explain', results, toJson(request, answers)) : toText(request, answers, all.length);
  return { stdout, results, exitCode: exitCodeFor(results) };
}

export function runExplain(args: readonly string[]): number {
  const options = parseExplainArgs(args);
  return finishCommand(options, EXPLAIN_HELP, explain, QUIET);
}

// --- text -------------------------------------------------------------------------------------

const describeFragment = (f: Sourced<RouteFragment>): string =>
  `RouteFragment ${qualified(f.object.metadata.namespace, f.object.metadata.name)}${f.source.path ? ` (${f.source.path})` : ''}`;

const formatShare = (share: number): string => `${Number.isInteger(share) ? share : share.toFixed(1)}%`;

type GatewayRequest = HttpRequest & { gateway: string };

function describeRequest(request: GatewayRequest): string {
  const headers = Object.entries(request.headers).map(([k, v]) => `${k}: ${v}`);
  return [`host ${request.authority}`, `path ${request.path ?? '/'}`, ...headers].join(', ') + `; at ${request.gateway === 'mesh' ? 'the mesh' : `gateway ${request.gateway}`}`;
}

/** What a route does to the request's headers, as a sentence, or undefined. */
function headerChanges(route: RouteLike): string | undefined {
  const headers = (route as Json).headers;
  const request = isRecord(headers) && isRecord(headers.request) ? headers.request : {};
  const set = isRecord(request.set) ? Object.entries(request.set).map(([k, v]) => `${k}: ${String(v)}`) : [];
  const remove = Array.isArray(request.remove) ? request.remove.map(String) : [];
  const parts = [...(set.length > 0 ? [`sets ${set.join(', ')}`] : []), ...(remove.length > 0 ? [`removes ${remove.join(', ')}`] : [])];
  return parts.length > 0 ? `  it ${parts.join(' and ')} before the request goes on (calls inside the mesh that pass these headers on stay where it sent them).` : undefined;
}

function conditionLine(o: ConditionOutcome): string {
  const want = o.condition.matcher ? describeMatcher(o.condition.matcher) : JSON.stringify(o.condition.raw);
  const subject = o.actual === undefined ? `${o.condition.label} (not in the request)` : `${o.condition.label} ${JSON.stringify(o.actual)}`;
  if (o.condition.negated) {
    return `${subject} ${o.outcome === 'match' ? 'is absent or does not match' : 'matches'} ${want}, which the route must not see`;
  }
  switch (o.outcome) {
    case 'match':
      return `${subject} matches ${want}`;
    case 'no-match':
      return o.actual === undefined ? `${subject}, so it cannot match ${want}` : `${subject} does not match ${want}`;
    case 'unknown':
      return `${subject}: explain cannot judge ${o.condition.label} ${want}, so it counts as not matching`;
  }
}

const routeTitle = (route: RouteLike, index: number): string => `http[${index}]${typeof route.name === 'string' ? ` ${route.name}` : ''}`;

function toText(request: GatewayRequest, answers: readonly Answer[], total: number): string {
  const lines = [`request: ${describeRequest(request)}`];
  if (answers.length === 0) {
    lines.push(
      total === 0
        ? 'route: none. The input renders no VirtualService (check the paths, --service and --namespace).'
        : `route: none. No VirtualService is bound to ${request.gateway === 'mesh' ? 'the mesh' : `gateway ${request.gateway}`}; give another with --gateway.`,
    );
    return `${lines.join('\n')}\n`;
  }
  const served = answers.filter((a) => a.served);
  if (served.length === 0) {
    const list = answers.map((a) => `VirtualService ${qualified(a.virtualService.namespace, a.virtualService.name)}: ${a.hosts.join(', ')}`).join('; ');
    lines.push(
      `route: none. No VirtualService has host ${hostWithoutPort(request.authority)} among its hosts (${list}), so Istio does not hand the request to them; use one of their hosts, or add it to an environment of the policy.`,
    );
    return `${lines.join('\n')}\n`;
  }
  for (const answer of served) {
    const vs = `VirtualService ${qualified(answer.virtualService.namespace, answer.virtualService.name)}${answer.virtualService.file ? ` (${answer.virtualService.file})` : ''}`;
    const { evaluation, http } = answer;
    lines.push('');
    if (evaluation.answer === undefined) {
      lines.push(`${vs}: no route matches, and there is no catch-all route: Istio answers 404.`);
    } else {
      const route = http[evaluation.answer]!;
      lines.push(`${vs}: route ${routeTitle(route, evaluation.answer)} answers.`);
      if (evaluation.action === 'directResponse') {
        const status = isRecord(route.directResponse) ? route.directResponse.status : undefined;
        lines.push(`  no pod gets the request: Envoy answers ${String(status)} itself${status === 503 ? ' (fail closed: the environment has no live release, and no branch may take its requests)' : ''}.`);
      } else if (evaluation.action !== 'route') lines.push(`  it does not route to a subset: ${evaluation.action === 'none' ? 'it has no destination' : 'it answers with a redirect'}.`);
      else {
        lines.push('subsets:');
        const width = Math.max(...evaluation.destinations.map((d) => (d.subset ?? d.host).length));
        for (const d of evaluation.destinations) {
          const origin = answer.origin(route, d.subset);
          const target = d.subset ?? `${d.host} (no subset)`;
          lines.push(`  ${target.padEnd(width)}  ${formatShare(d.share).padStart(4)}${origin ? `  from ${describeFragment(origin)}` : ''}`);
        }
        if (evaluation.destinations.some((d) => d.subset === undefined)) {
          lines.push(`  no subset: Service ${evaluation.destinations.find((d) => d.subset === undefined)!.host} itself takes it, every pod it selects, branch builds included (the service has no release yet).`);
        }
      }
      const changes = headerChanges(route);
      if (changes) lines.push(changes);
    }
    lines.push('why:');
    for (const outcome of evaluation.routes) {
      const route = http[outcome.index]!;
      const origin = answer.origin(route, undefined);
      const title = `  ${routeTitle(route, outcome.index)}${origin ? ` (${describeFragment(origin)})` : ''}`;
      if (outcome.entries.length === 0) {
        lines.push(`${title}: matches: it has no match conditions, so it answers every request that reaches it.`);
        continue;
      }
      lines.push(`${title}: ${outcome.matched ? 'matches' : 'does not match'}`);
      const entries = outcome.matched ? outcome.entries.filter((e) => e.matched).slice(0, 1) : outcome.entries;
      for (const entry of entries) {
        const prefix = outcome.entries.length > 1 ? `match[${entry.index}]: ` : '';
        if (entry.conditions.length === 0) lines.push(`      ${prefix}no conditions: matches every request`);
        entry.conditions.forEach((c, i) => lines.push(`      ${i === 0 ? prefix : ' '.repeat(prefix.length)}${conditionLine(c)}`));
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

// --- json -------------------------------------------------------------------------------------

function toJson(request: GatewayRequest, answers: readonly Answer[]): Record<string, unknown> {
  return {
    request: { host: request.authority, path: request.path ?? '/', headers: request.headers, gateway: request.gateway },
    answers: answers
      .filter((a) => a.served)
      .map((a) => {
        const route = a.evaluation.answer === undefined ? undefined : a.http[a.evaluation.answer]!;
        return {
          virtualService: a.virtualService,
          route: route ? { index: a.evaluation.answer, name: typeof route.name === 'string' ? route.name : null, action: a.evaluation.action, fragment: fragmentRef(a.origin(route, undefined)) } : null,
          destinations: a.evaluation.destinations.map((d) => ({ ...d, fragment: fragmentRef(route && a.origin(route, d.subset)) })),
          tried: a.evaluation.routes.map((r) => ({
            index: r.index,
            name: r.name ?? null,
            matched: r.matched,
            catchAll: r.catchAll,
            entries: r.entries.map((e) => ({
              index: e.index,
              matched: e.matched,
              conditions: e.conditions.map((c) => ({
                field: c.condition.field,
                ...(c.condition.matcher ? { match: c.condition.matcher } : { raw: c.condition.raw }),
                ...(c.condition.negated ? { negated: true } : {}),
                actual: c.actual ?? null,
                outcome: c.outcome,
              })),
            })),
          })),
        };
      }),
    unserved: answers.filter((a) => !a.served).map((a) => a.virtualService),
  };
}
