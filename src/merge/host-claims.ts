// Which (gateway, host) each VirtualService claims, and which claims collide: on the mesh two
// VirtualServices for one host are Istio's IST0109 (one wins, the other is ignored); at a gateway
// their routes are merged in an order nobody controls, so the first catch-all hides the rest.
// Short hosts resolve against the VirtualService's namespace, a gateway without namespace to the
// VirtualService's namespace, no gateways to the mesh; two VirtualServices that no proxy sees
// together (exportTo) do not collide. Pure; used by the merge (render) and by check.
import { hostsOverlap } from './hosts.ts';
import { qualified } from './messages.ts';
import type { Json } from '../model/json.ts';

export interface VirtualServiceClaims {
  namespace?: string;
  name: string;
  /** `mesh` or `namespace/name`. */
  gateways: string[];
  /** Lower-case; short service names as `name.namespace.svc.cluster.local`. */
  hosts: string[];
  /** Namespaces that see it, or undefined for all. */
  visibleIn?: Set<string>;
  /** For messages: `(file)` or ''. */
  file?: string;
}

const isRecord = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** The claims of a VirtualService object (any shape: hand-written ones are read defensively). */
export function claimsOf(object: unknown, file?: string): VirtualServiceClaims {
  const o = isRecord(object) ? object : {};
  const meta = isRecord(o.metadata) ? o.metadata : {};
  const spec = isRecord(o.spec) ? o.spec : {};
  const namespace = typeof meta.namespace === 'string' ? meta.namespace : undefined;
  const listed = strings(spec.gateways);
  const gateways = (listed.length > 0 ? listed : ['mesh']).map((g) => (g === 'mesh' || g.includes('/') || !namespace ? g : `${namespace}/${g}`));
  const hosts = strings(spec.hosts).map((h) => {
    const host = h.toLowerCase();
    return !host.includes('.') && host !== '*' && namespace ? `${host}.${namespace}.svc.cluster.local` : host;
  });
  const exportTo = strings(spec.exportTo);
  const visibleIn = exportTo.length === 0 || exportTo.includes('*') ? undefined : new Set(exportTo.map((e) => (e === '.' ? (namespace ?? '') : e)));
  return { ...(namespace ? { namespace } : {}), name: typeof meta.name === 'string' ? meta.name : '', gateways, hosts, ...(visibleIn ? { visibleIn } : {}), ...(file ? { file } : {}) };
}

export interface HostConflict {
  a: VirtualServiceClaims;
  b: VirtualServiceClaims;
  gateway: string;
  hostA: string;
  hostB: string;
}

const seenTogether = (a: VirtualServiceClaims, b: VirtualServiceClaims): boolean =>
  !a.visibleIn || !b.visibleIn || [...a.visibleIn].some((ns) => b.visibleIn!.has(ns));

/** Every pair of VirtualServices that claim one host (or overlapping wildcards) on one gateway. */
export function findHostConflicts(list: readonly VirtualServiceClaims[], only?: (a: VirtualServiceClaims, b: VirtualServiceClaims) => boolean): HostConflict[] {
  const conflicts: HostConflict[] = [];
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      const a = list[i]!;
      const b = list[j]!;
      if ((only && !only(a, b)) || !seenTogether(a, b)) continue;
      for (const gateway of a.gateways.filter((g) => b.gateways.includes(g))) {
        const pair = a.hosts.flatMap((ha) => b.hosts.filter((hb) => hostsOverlap(ha, hb)).map((hb) => [ha, hb] as const))[0];
        if (pair) conflicts.push({ a, b, gateway, hostA: pair[0], hostB: pair[1] });
      }
    }
  }
  return conflicts;
}

export const describeClaimant = (c: VirtualServiceClaims): string => `VirtualService ${qualified(c.namespace, c.name)}${c.file ? ` (${c.file})` : ''}`;

/** `host shop.example.com on gateway istio-system/public-gateway` / `... (and *.example.com)`. */
export function describeConflict(c: HostConflict): string {
  const where = c.gateway === 'mesh' ? 'on the mesh' : `on gateway ${c.gateway}`;
  const hosts = c.hostA === c.hostB ? `host ${c.hostA}` : `host ${c.hostA}, which overlaps ${c.hostB}`;
  return `${hosts} ${where}`;
}
