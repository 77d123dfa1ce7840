// The routing summary for people: `--output markdown` on render and check prints, per
// VirtualService, a table of its routes in order (host, header, subset, share, fragment), fit
// for a CI step summary ($GITHUB_STEP_SUMMARY) or a merge-request comment.
import { MANAGED_BY, MANAGED_BY_LABEL } from '../merge/build.ts';
import { byString } from '../merge/canonical.ts';
import { destinationsOf, entriesOf, isCatchAll, type Condition, type RouteLike } from '../merge/evaluate.ts';
import { qualified } from '../merge/messages.ts';
import type { FragmentIndex } from '../merge/provenance.ts';
import type { KubeObject, Sourced } from '../model/kinds.ts';
import type { Result } from '../model/result.ts';
import { isRecord } from '../model/json.ts';


/** A table cell as inline code: pipes escaped (GitHub tables split on them even in code), backticks fenced. */
export function code(text: string): string {
  const escaped = text.replace(/\|/g, '\\|');
  return escaped.includes('`') ? `\`\` ${escaped} \`\`` : `\`${escaped}\``;
}

/** Plain text in a cell or a list item: characters Markdown would read as markup are escaped. */
export const escapeText = (text: string): string => text.replace(/([\\`*_[\]<>|#])/g, '\\$1').replace(/\n/g, ' ');

const formatShare = (share: number): string => `${Number.isInteger(share) ? share : share.toFixed(1)}%`;

function showValue(c: Condition, withName: boolean): string {
  const name = withName ? `${c.field.replace(/^headers\./, '').replace(/^withoutHeaders\./, 'no ')}: ` : '';
  if (!c.matcher) return `${name}${JSON.stringify(c.raw)}`;
  switch (c.matcher.kind) {
    case 'exact':
      return `${name}${c.matcher.value}`;
    case 'present':
      return `${name}(present)`;
    default:
      return `${name}${c.matcher.kind} ${c.matcher.value}`;
  }
}

/** The host and header cells of a route: what each match entry asks of the host and of headers. */
function matchCells(route: RouteLike): { host: string; header: string } {
  if (isCatchAll(route)) return { host: 'any (catch-all)', header: '' };
  const entries = entriesOf(route) ?? [];
  const hosts = new Set<string>();
  const headers = new Set<string>();
  for (const conditions of entries) {
    const authority = conditions.find((c) => c.field === 'authority');
    hosts.add(authority ? code(showValue(authority, false)) : 'any');
    const rest = conditions.filter((c) => c.field !== 'authority');
    headers.add(rest.length > 0 ? rest.map((c) => code(showValue(c, true))).join(' and ') : '');
  }
  return { host: [...hosts].join('<br>'), header: [...headers].filter(Boolean).join('<br>') };
}

const generated = (o: KubeObject): boolean => isRecord(o.metadata) && isRecord(o.metadata.labels) && o.metadata.labels[MANAGED_BY_LABEL] === MANAGED_BY;
const nameOf = (o: KubeObject): { name: string; namespace?: string } => {
  const meta = isRecord(o.metadata) ? o.metadata : {};
  return { name: String(meta.name ?? ''), ...(typeof meta.namespace === 'string' ? { namespace: meta.namespace } : {}) };
};

/** One table per VirtualService, in namespace and name order. */
export function routesMarkdown(objects: readonly Sourced<KubeObject>[], origins: FragmentIndex): string {
  const virtualServices = objects
    .filter((o) => o.object.kind === 'VirtualService')
    .sort((a, b) => byString(qualified(nameOf(a.object).namespace, nameOf(a.object).name), qualified(nameOf(b.object).namespace, nameOf(b.object).name)));
  if (virtualServices.length === 0) return '_No VirtualService._\n';
  const sections: string[] = [];
  for (const { object: vs, source } of virtualServices) {
    const { name, namespace } = nameOf(vs);
    const spec = isRecord(vs.spec) ? vs.spec : {};
    const http: RouteLike[] = Array.isArray(spec.http) ? spec.http.map((r) => (isRecord(r) ? r : {})) : [];
    const mine = generated(vs);
    const hosts = Array.isArray(spec.hosts) ? spec.hosts.map(String) : [];
    const gateways = Array.isArray(spec.gateways) && spec.gateways.length > 0 ? spec.gateways.map(String) : ['mesh'];
    const lines = [
      `### VirtualService ${escapeText(qualified(namespace, name))}${!mine && source.path ? ` (${escapeText(source.path)})` : ''}`,
      '',
      `Hosts ${hosts.map((h) => `\`${escapeText(h)}\``).join(', ')} at ${gateways.map((g) => `\`${escapeText(g)}\``).join(', ')}.`,
      '',
      '| # | Route | Host | Header | Subset | Share | Fragment |',
      '|--:|---|---|---|---|--:|---|',
    ];
    const routed = new Set<string>();
    http.forEach((route, i) => {
      const { host, header } = matchCells(route);
      const routeName = typeof route.name === 'string' ? code(route.name) : '';
      const destinations = destinationsOf(route);
      if (destinations.length === 0) {
        const action = route.redirect !== undefined ? 'redirect' : route.directResponse !== undefined ? 'direct response' : 'none';
        lines.push(`| ${i + 1} | ${routeName} | ${host} | ${header} | (${action}) | | |`);
        return;
      }
      destinations.forEach((d, j) => {
        if (d.subset !== undefined) routed.add(d.subset);
        const origin = mine ? origins.routeOrigin(namespace, name, typeof route.name === 'string' ? route.name : undefined, d.subset) : undefined;
        const subset = d.subset !== undefined ? code(d.subset) : code(d.host);
        const fragment = origin ? code(origin.object.metadata.name) : '';
        lines.push(j === 0 ? `| ${i + 1} | ${routeName} | ${host} | ${header} | ${subset} | ${formatShare(d.share)} | ${fragment} |` : `| | | | | ${subset} | ${formatShare(d.share)} | ${fragment} |`);
      });
    });
    // Subsets with no route: rollback targets and rolled-back canaries, kept until their fragment goes.
    const dr = objects.find((o) => o.object.kind === 'DestinationRule' && nameOf(o.object).name === name && nameOf(o.object).namespace === namespace);
    const subsets = dr && isRecord(dr.object.spec) && Array.isArray(dr.object.spec.subsets) ? dr.object.spec.subsets : [];
    const idle = subsets.flatMap((s) => (isRecord(s) && typeof s.name === 'string' && !routed.has(s.name) ? [s.name] : []));
    if (idle.length > 0) {
      const shown = idle.map((s) => {
        const from = mine ? origins.subsetOrigins(namespace, name, s).map((f) => f.object.metadata.name) : [];
        return `${code(s)}${from.length > 0 ? ` (${from.map(code).join(', ')})` : ''}`;
      });
      lines.push('', `Subsets without traffic (rollback targets until their fragment is deleted): ${shown.join(', ')}.`);
    }
    sections.push(lines.join('\n'));
  }
  return `${sections.join('\n\n')}\n`;
}

/** Results as a Markdown list, errors first. */
export function resultsMarkdown(results: readonly Result[], severities: readonly Result['severity'][] = ['error', 'warning']): string {
  const shown = severities.flatMap((s) => results.filter((r) => r.severity === s));
  if (shown.length === 0) return '';
  return `${shown.map((r) => `- **${r.severity}**: ${escapeText(r.message)}`).join('\n')}\n`;
}
