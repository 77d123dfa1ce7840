// The Istio values of a RoutingPolicy, judged by Istio's CRD schema and webhook rules
// (istio-rules.ts) before any of them reaches a VirtualService or DestinationRule: a policy
// Istio would refuse fails the render, naming the field.
import type { RoutingPolicy } from '../model/kinds.ts';
import type { Problem } from '../schema/validate.ts';
import { checkExportTo, checkGatewayNames, checkRouteSettings, checkTrafficPolicy } from './istio-rules.ts';

/** `spec.routeSettings` + `retries.attempts`, `spec.gateways` + `[1]`. */
export const under = (base: string, problems: readonly Problem[]): Problem[] =>
  problems.map((p) => ({ ...p, path: p.path === '' ? base : p.path.startsWith('[') ? `${base}${p.path}` : `${base}.${p.path}` }));

export function checkPolicyIstioFields(spec: RoutingPolicy['spec']): { errors: Problem[]; warnings: Problem[] } {
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  if (spec.routeSettings !== undefined) errors.push(...under('spec.routeSettings', checkRouteSettings(spec.routeSettings)));
  if (spec.trafficPolicy !== undefined) errors.push(...under('spec.trafficPolicy', checkTrafficPolicy(spec.trafficPolicy)));
  if (spec.gateways !== undefined) {
    const gateways = checkGatewayNames(spec.gateways);
    errors.push(...under('spec.gateways', gateways.errors));
    warnings.push(...under('spec.gateways', gateways.warnings));
  }
  if (spec.exportTo !== undefined) errors.push(...under('spec.exportTo', checkExportTo(spec.exportTo)));
  return { errors, warnings };
}
