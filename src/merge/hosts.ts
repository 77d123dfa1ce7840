// Environment hosts as Istio accepts them, and which hosts a request could match at once.
// Istio's webhook (pkg/config/validation: ValidateWildcardDomain, the VirtualService's duplicate
// hosts check) refuses ports, labels over 63 characters, names over 253, an all-numeric top-level
// label, `*` anywhere but a leading `*.`, and two hosts of one VirtualService that match one
// request. docs/decisions/host-routing.md says why Switchyard leaves host matching to Envoy.

/** Why `host` cannot be an environment host, or undefined when Istio accepts it. */
export function checkHost(host: string): string | undefined {
  if (host === '*') return 'is *, which would take every request of the gateway; list the hosts, or a wildcard such as *.example.com.';
  if (host.includes(':')) return `is ${host}, with a port; Istio's hosts carry none (the gateway matches every port): write ${host.slice(0, host.indexOf(':'))}.`;
  if (host.length > 253) return `is ${host.length} characters long; a host name has at most 253.`;
  const name = host.startsWith('*.') ? host.slice(2) : host;
  if (name.includes('*')) return `is ${host}; * may only stand first, as in *.example.com.`;
  const labels = name.split('.');
  if (labels.some((l) => l.length === 0)) return `is ${host}, with an empty label; remove the stray dot.`;
  const long = labels.find((l) => l.length > 63);
  if (long) return `has the label ${long.slice(0, 20)}... of ${long.length} characters; a DNS label has at most 63.`;
  const bad = labels.find((l) => !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(l));
  if (bad !== undefined) return `has the label ${bad}; a DNS label is lower-case letters, digits and inner hyphens.`;
  if (labels.length === 1) return `is ${host}, a single label, which Istio reads as the short name of a service in the VirtualService's namespace (and the service's own VirtualService claims it): write the full host name.`;
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) return `is ${host}, whose top-level label ${labels[labels.length - 1]} is all digits; Istio refuses it (use a DNS name, not an IP address).`;
  return undefined;
}

/** Whether some request host matches both `a` and `b` (equal hosts, or a wildcard covering the other). */
export function hostsOverlap(a: string, b: string): boolean {
  if (a === b) return true;
  const wild = (h: string) => h.startsWith('*.');
  if (wild(a) && wild(b)) return a.slice(1).endsWith(b.slice(1)) || b.slice(1).endsWith(a.slice(1));
  if (wild(a)) return b.endsWith(a.slice(1));
  if (wild(b)) return a.endsWith(b.slice(1));
  return false;
}
