// The PromQL a canary step asks: Istio's standard metrics by default, or the user's templates with
// {{service}}, {{namespace}}, {{subset}}, {{interval}} and {{label.NAME}} filled in. Pure.
//
// The default queries select what Istio's sidecars report for one version of one service
// (istio.io, "Istio Standard Metrics", docs/reference/config/metrics; docs/canary.md says why):
//   reporter="destination"                      the server-side proxy: one report per request that
//                                               reached a pod of this version (source-side reports
//                                               would count it a second time)
//   destination_service_namespace, destination_service_name   the Kubernetes Service
//   destination_version                         the destination pod's `version` label, which a
//                                               subset selects on ({{label.version}})
//   response_code=~"5.."                        a failed request

export type Metric = 'requests' | 'errorRate' | 'latencyP99';

export type QueryTemplates = Record<Metric, string>;

const SELECTOR = 'reporter="destination",destination_service_namespace="{{namespace}}",destination_service_name="{{service}}",destination_version="{{label.version}}"';

export const DEFAULT_QUERIES: QueryTemplates = {
  requests: `sum(increase(istio_requests_total{${SELECTOR}}[{{interval}}]))`,
  errorRate:
    `(sum(rate(istio_requests_total{${SELECTOR},response_code=~"5.."}[{{interval}}])) or vector(0))` +
    ` / sum(rate(istio_requests_total{${SELECTOR}}[{{interval}}]))`,
  latencyP99: `histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${SELECTOR}}[{{interval}}])))`,
};

/** What a template may name for one side of the comparison. */
export interface QueryContext {
  service: string;
  namespace?: string;
  subset: string;
  labels: Readonly<Record<string, string>>;
  interval: string;
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The placeholders a template uses that no context can fill: a mistake in the flag. */
export function unknownPlaceholders(template: string): string[] {
  const unknown: string[] = [];
  for (const [, name] of template.matchAll(PLACEHOLDER)) {
    if (!['service', 'namespace', 'subset', 'interval'].includes(name!) && !/^label\.[^\s]+$/.test(name!)) unknown.push(`{{${name}}}`);
  }
  return unknown;
}

/** The query, or what the context lacks to fill it (`{{label.version}}: the subset has no label version`). */
export function fillQuery(template: string, context: QueryContext): { query: string } | { missing: string } {
  let missing: string | undefined;
  const query = template.replace(PLACEHOLDER, (whole, name: string) => {
    let value: string | undefined;
    if (name === 'service') value = context.service;
    else if (name === 'namespace') value = context.namespace;
    else if (name === 'subset') value = context.subset;
    else if (name === 'interval') value = context.interval;
    else if (name.startsWith('label.')) value = context.labels[name.slice('label.'.length)];
    if (value === undefined) {
      missing ??= name === 'namespace' ? `${whole}: the fragment has no metadata.namespace` : name.startsWith('label.') ? `${whole}: subset ${context.subset} has no label ${name.slice(6)}` : `${whole} is not a placeholder`;
      return whole;
    }
    return value;
  });
  return missing === undefined ? { query } : { missing };
}
