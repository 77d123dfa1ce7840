// Header names a route may match on. The schema already demands a lower-case HTTP token
// (so no pseudo-header such as :authority); these are the tokens Istio or Envoy reserve.

/** Why a route may not match on `name`, or undefined if it may. */
export function checkHeaderName(name: string): string | undefined {
  if (name === 'host') return 'is host; routes match hosts through the policy\'s environments, not a header.';
  if (name.startsWith('x-envoy-')) return `is ${name}; x-envoy-* headers belong to Envoy and may be set or stripped by it: use another header.`;
  return undefined;
}
