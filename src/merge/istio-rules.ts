// The rules of Istio's validation webhook for the Istio values Switchyard writes or passes through,
// on top of the CRD schema (src/schema/istio-schema.ts). Each function follows the Go function of
// istio/istio it is named after (pkg/config/validation/validation.go unless said otherwise):
//   checkRouteSettings   validateHTTPRoute's parts for timeout, retries, corsPolicy and headers:
//                        validateHTTPRetry, validateCORSPolicy (+ validateAllowOrigins,
//                        validateCORSHTTPMethod, ValidateCORSHTTPHeaderName), the header operations
//                        (ValidateHTTPHeaderWithAuthorityOperationName, ValidateHTTPHeaderOperationName,
//                        ValidateHTTPHeaderValue + header_value_validator.go), agent.ValidateDuration
//   checkTrafficPolicy   validateTrafficPolicy, validateOutlierDetection, validateConnectionPool,
//                        validateLoadBalancer, validatePortTrafficPolicies, validateTunnelSettings,
//                        agent.ValidateTLS (pkg/config/validation/agent/validation.go)
//   checkGatewayNames    validateGatewayNames
//   checkExportTo        validateExportTo and visibility.Instance.Validate
// Paths are relative to the value checked. Pure.
import { NANOS_PER_MS, NANOS_PER_S, parseGoDuration } from '../schema/go-duration.ts';
import { checkIstioShape, foreignValues, type IstioShape } from '../schema/istio-schema.ts';
import { fieldPath, show, type Problem } from '../schema/validate.ts';
import { re2Problem } from './regex.ts';
import type { Json } from '../model/json.ts';

type Segment = string | number;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const has = (o: Json, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k) && o[k] !== undefined && o[k] !== null;
const problem = (at: Segment[], message: string): Problem => ({ path: fieldPath(at), message });

// --- durations (agent.ValidateDuration) ------------------------------------------------------

/** At least 1 ms and whole milliseconds; `seconds` for corsPolicy.maxAge ("accurate only to seconds precision"). */
function checkDuration(value: unknown, at: Segment[], out: Problem[], seconds = false): void {
  if (typeof value !== 'string') return;
  const nanos = parseGoDuration(value);
  if (nanos === undefined) return; // the CRD's CEL rule reports it
  if (nanos < NANOS_PER_MS) return; // likewise
  if (nanos % NANOS_PER_MS !== 0n) out.push(problem(at, `is ${show(value)}; Istio takes durations to the millisecond only: round it (such as ${nanos / NANOS_PER_MS}ms).`));
  else if (seconds && nanos % NANOS_PER_S !== 0n) out.push(problem(at, `is ${show(value)}; Istio takes maxAge to the second only: round it.`));
}

// --- HTTPRoute settings ------------------------------------------------------------------------

/** Envoy's retry_on policies that Istio accepts (supportedRetryOnPolicies). */
const RETRY_ON = new Set([
  '5xx', 'gateway-error', 'reset', 'reset-before-request', 'connect-failure', 'retriable-4xx', 'refused-stream', 'retriable-status-codes',
  'retriable-headers', 'envoy-ratelimited', 'http3-post-connect-failure', 'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable',
]);
/** The status codes Go's http.StatusText knows: a number in retryOn must be one of them. */
const STATUS_CODES = new Set([
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308, 400, 401, 402, 403, 404,
  405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424, 425, 426, 428, 429, 431, 451, 500, 501, 502,
  503, 504, 505, 506, 507, 508, 510, 511,
]);
/** supportedCORSMethods: Go's http.Method* names and `*`, case-sensitive. */
const CORS_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', '*']);
const HEADER_TOKEN = /^[!#$%&'*+\-.^_`|~A-Za-z0-9]+$/;

/** Timeout, retries, corsPolicy and headers of an HTTPRoute (the policy's routeSettings, a base's last route). */
export function checkRouteSettings(settings: unknown): Problem[] {
  const foreign = foreignValues(settings);
  if (foreign.length > 0) return foreign; // the rest would only repeat it
  const out = checkIstioShape('HTTPRoute', settings);
  if (!isObject(settings)) return out;
  checkDuration(settings.timeout, ['timeout'], out);
  if (isObject(settings.retries)) checkRetries(settings.retries, ['retries'], out);
  if (isObject(settings.corsPolicy)) checkCors(settings.corsPolicy, ['corsPolicy'], out);
  if (isObject(settings.headers)) checkHeaders(settings.headers, ['headers'], out);
  return dedupe(out);
}

function checkRetries(retries: Json, at: Segment[], out: Problem[]): void {
  const attempts = typeof retries.attempts === 'number' ? retries.attempts : 0;
  if (attempts < 0) out.push(problem([...at, 'attempts'], `is ${attempts}; Istio refuses negative attempts.`));
  if (attempts === 0 && (has(retries, 'perTryTimeout') || (typeof retries.retryOn === 'string' && retries.retryOn !== '') || has(retries, 'retryRemoteLocalities'))) {
    out.push(problem([...at, 'attempts'], `is ${has(retries, 'attempts') ? '0' : 'missing (0)'}, which disables retries, yet perTryTimeout, retryOn or retryRemoteLocalities is set; Istio refuses that: set attempts to 1 or more, or remove the others.`));
  }
  checkDuration(retries.perTryTimeout, [...at, 'perTryTimeout'], out);
  checkDuration(retries.backoff, [...at, 'backoff'], out);
  if (typeof retries.retryOn === 'string' && retries.retryOn !== '') {
    for (const policy of retries.retryOn.split(',')) {
      const code = /^[+-]?\d+$/.test(policy) ? Number(policy) : 0;
      if (!STATUS_CODES.has(code) && !RETRY_ON.has(policy)) {
        out.push(problem([...at, 'retryOn'], `has ${show(policy)}, which is not a retryOn policy Istio knows; use comma-separated policies without spaces, such as 5xx,reset,connect-failure, or HTTP status codes.`));
      }
    }
  }
}

function checkCors(cors: Json, at: Segment[], out: Problem[]): void {
  if (Array.isArray(cors.allowOrigins)) {
    cors.allowOrigins.forEach((origin, i) => {
      if (!isObject(origin)) return;
      const [kind] = Object.keys(origin);
      const value = kind === undefined ? undefined : origin[kind];
      const where = [...at, 'allowOrigins', i];
      if (typeof value !== 'string' || value === '') out.push(problem(where, `is ${kind ? `{${kind}: ${show(value)}}` : 'an empty match'}; Istio refuses an empty origin: give exact, prefix or regex a value.`));
      else if (kind === 'regex') {
        const bad = re2Problem(value);
        if (bad) out.push(problem([...where, 'regex'], `${bad}.`));
      }
    });
  }
  if (Array.isArray(cors.allowMethods)) {
    cors.allowMethods.forEach((method, i) => {
      if (typeof method === 'string' && !CORS_METHODS.has(method)) out.push(problem([...at, 'allowMethods', i], `is ${show(method)}; Istio takes ${[...CORS_METHODS].join(', ')} (upper case).`));
    });
  }
  for (const field of ['allowHeaders', 'exposeHeaders']) {
    const list = cors[field];
    if (!Array.isArray(list)) continue;
    list.forEach((name, i) => {
      if (typeof name === 'string' && name !== '*' && !HEADER_TOKEN.test(name)) out.push(problem([...at, field, i], `is ${show(name)}, which is not a header name; use an HTTP token such as x-request-id, or *.`));
    });
  }
  checkDuration(cors.maxAge, [...at, 'maxAge'], out, true);
}

function checkHeaders(headers: Json, at: Segment[], out: Problem[]): void {
  for (const side of ['request', 'response'] as const) {
    const ops = headers[side];
    if (!isObject(ops)) continue;
    for (const op of ['add', 'set'] as const) {
      const map = ops[op];
      if (!isObject(map)) continue;
      for (const [name, value] of Object.entries(map)) {
        const where = [...at, side, op, name];
        const nameProblem = side === 'request' ? requestHeaderName(name) : headerOperationName(name);
        if (nameProblem) out.push(problem(where, nameProblem));
        if (typeof value === 'string') {
          const valueProblem = headerValueProblem(value);
          if (valueProblem) out.push(problem(where, valueProblem));
        }
      }
    }
    if (Array.isArray(ops.remove)) {
      ops.remove.forEach((name, i) => {
        const nameProblem = typeof name === 'string' ? headerOperationName(name) : undefined;
        if (nameProblem) out.push(problem([...at, side, 'remove', i], nameProblem));
      });
    }
  }
}

/** ValidateHTTPHeaderWithAuthorityOperationName: request add/set may name :authority, no other pseudo-header. */
function requestHeaderName(name: string): string | undefined {
  if (name === '') return 'is an empty header name; Istio refuses it.';
  if (name.startsWith(':') && name.toLowerCase() !== ':authority') return `names ${show(name)}; Istio refuses pseudo-headers (":" prefix) other than :authority here.`;
  return undefined;
}

/** ValidateHTTPHeaderOperationName: no Host, no pseudo-header. */
function headerOperationName(name: string): string | undefined {
  if (name === '') return 'is an empty header name; Istio refuses it.';
  if (name.toLowerCase() === 'host') return 'names Host, which Istio does not let a route remove or set here.';
  if (name.startsWith(':')) return `names ${show(name)}; Istio refuses pseudo-headers (":" prefix) here.`;
  return undefined;
}

/** ValidateHTTPHeaderValue: no control characters but tab, and Envoy's %VARIABLE% syntax (a literal % is %%). */
export function headerValueProblem(value: string): string | undefined {
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value)) return `is ${show(value)}, which holds a control character; Istio refuses it.`;
  // header_value_validator.go, a port of Envoy's header_parser.cc
  let state: 'literal' | 'name' | 'array' | 'delimiter' | 'string-start' | 'string' | 'args-end' | 'end' = 'literal';
  for (let pos = 0; pos < value.length; pos++) {
    const ch = value[pos];
    const space = ch === ' ';
    switch (state) {
      case 'literal':
        if (ch !== '%') break;
        if (pos + 1 >= value.length) return `is ${show(value)}, which ends in a single %; Envoy reads % as the start of a %VARIABLE%: write %% for a literal %.`;
        if (value[pos + 1] === '%') pos++;
        else state = 'name';
        break;
      case 'name':
        if (ch === '%') state = 'literal';
        else if (ch === '(') state = 'array';
        break;
      case 'array':
        if (ch === '[') state = 'string-start';
        else if (!space) state = 'string';
        break;
      case 'delimiter':
        if (ch === ',') state = 'string-start';
        else if (ch === ']') state = 'args-end';
        else if (!space) return `is ${show(value)}; Envoy expects ',' or ']' in the %VARIABLE(...)% arguments.`;
        break;
      case 'string-start':
        if (ch === '"') state = 'string';
        else if (!space) return `is ${show(value)}; Envoy expects '"' in the %VARIABLE(...)% arguments.`;
        break;
      case 'string':
        if (ch === '\\') {
          if (pos + 1 >= value.length) return `is ${show(value)}, which ends in a backslash inside %VARIABLE(...)%.`;
          pos++;
        } else if (ch === ')') state = 'end';
        else if (ch === '"') state = 'delimiter';
        break;
      case 'args-end':
        if (ch === ')') state = 'end';
        else if (!space) return `is ${show(value)}; Envoy expects ')' to close %VARIABLE(...)%.`;
        break;
      case 'end':
        if (ch === '%') state = 'literal';
        else if (!space) return `is ${show(value)}; Envoy expects '%' to close %VARIABLE(...)%.`;
        break;
    }
  }
  if (state !== 'literal') return `is ${show(value)}, whose %VARIABLE% is not closed; Envoy reads % as the start of a variable: write %% for a literal %.`;
  return undefined;
}

// --- TrafficPolicy -----------------------------------------------------------------------------

/** A DestinationRule's (or a subset's) TrafficPolicy: the CRD schema and validateTrafficPolicy. */
export function checkTrafficPolicy(policy: unknown, shape: Extract<IstioShape, 'TrafficPolicy' | 'SubsetTrafficPolicy'> = 'TrafficPolicy'): Problem[] {
  const foreign = foreignValues(policy);
  if (foreign.length > 0) return foreign; // the rest would only repeat it
  const out = checkIstioShape(shape, policy);
  if (!isObject(policy)) return out;
  const fields = ['outlierDetection', 'connectionPool', 'loadBalancer', 'tls', 'portLevelSettings', 'tunnel', 'proxyProtocol'];
  if (!fields.some((f) => has(policy, f))) {
    out.push(problem([], `sets none of ${fields.join(', ')}; Istio refuses a traffic policy without a field ("traffic policy must have at least one field"): set one, or leave trafficPolicy out.`));
    return dedupe(out);
  }
  if (has(policy, 'tunnel') && has(policy, 'proxyProtocol')) out.push(problem([], 'sets both tunnel and proxyProtocol, which Istio refuses together; keep one.'));
  checkPortPolicy(policy, [], out);
  if (isObject(policy.tunnel)) {
    const { protocol, targetHost, targetPort } = policy.tunnel;
    if (protocol !== undefined && protocol !== '' && protocol !== 'CONNECT' && protocol !== 'POST') out.push(problem(['tunnel', 'protocol'], `is ${show(protocol)}; use CONNECT or POST.`));
    if (typeof targetHost !== 'string' || !(isFqdn(targetHost) || isIp(targetHost))) out.push(problem(['tunnel', 'targetHost'], `is ${show(targetHost)}; Istio wants a host name or an IP address.`));
    if (!isPort(targetPort)) out.push(problem(['tunnel', 'targetPort'], `is ${show(targetPort)}; use a port 1..65535.`));
  }
  if (Array.isArray(policy.portLevelSettings)) {
    policy.portLevelSettings.forEach((p, i) => {
      const at = ['portLevelSettings', i];
      if (!isObject(p)) return;
      if (!has(p, 'port')) out.push(problem([...at, 'port'], 'is required: a port-level policy names its port.'));
      if (!['outlierDetection', 'connectionPool', 'loadBalancer', 'tls'].some((f) => has(p, f))) out.push(problem(at, 'sets none of outlierDetection, connectionPool, loadBalancer, tls; Istio refuses an empty port traffic policy.'));
      else checkPortPolicy(p, at, out);
    });
  }
  return dedupe(out);
}

/** The parts a TrafficPolicy and a port-level policy share. */
function checkPortPolicy(policy: Json, at: Segment[], out: Problem[]): void {
  if (isObject(policy.outlierDetection)) {
    const o = policy.outlierDetection;
    const where = [...at, 'outlierDetection'];
    checkDuration(o.baseEjectionTime, [...where, 'baseEjectionTime'], out);
    checkDuration(o.interval, [...where, 'interval'], out);
    if (o.splitExternalLocalOriginErrors !== true && typeof o.consecutiveLocalOriginFailures === 'number' && o.consecutiveLocalOriginFailures > 0) {
      out.push(problem([...where, 'consecutiveLocalOriginFailures'], 'is set, but splitExternalLocalOriginErrors is not true; Istio refuses that: set splitExternalLocalOriginErrors: true.'));
    }
    for (const f of ['maxEjectionPercent', 'minHealthPercent']) {
      const v = o[f];
      if (typeof v === 'number' && (v < 0 || v > 100)) out.push(problem([...where, f], `is ${v}; use 0..100.`));
    }
  }
  if (isObject(policy.connectionPool)) {
    const c = policy.connectionPool;
    const where = [...at, 'connectionPool'];
    if (!has(c, 'http') && !has(c, 'tcp')) out.push(problem(where, 'sets neither http nor tcp; Istio refuses an empty connection pool ("connection pool must have at least one field").'));
    if (isObject(c.http)) {
      const h = c.http;
      for (const f of ['http1MaxPendingRequests', 'http2MaxRequests', 'maxRequestsPerConnection', 'maxRetries', 'maxConcurrentStreams']) {
        if (typeof h[f] === 'number' && (h[f] as number) < 0) out.push(problem([...where, 'http', f], `is ${String(h[f])}; use 0 or more.`));
      }
      checkDuration(h.idleTimeout, [...where, 'http', 'idleTimeout'], out);
      if (h.h2UpgradePolicy === 'UPGRADE' && h.useClientProtocol === true) out.push(problem([...where, 'http', 'useClientProtocol'], 'is true with h2UpgradePolicy UPGRADE, which Istio refuses; drop one.'));
    }
    if (isObject(c.tcp)) {
      const t = c.tcp;
      if (typeof t.maxConnections === 'number' && t.maxConnections < 0) out.push(problem([...where, 'tcp', 'maxConnections'], `is ${t.maxConnections}; use 0 or more.`));
      checkDuration(t.connectTimeout, [...where, 'tcp', 'connectTimeout'], out);
      checkDuration(t.maxConnectionDuration, [...where, 'tcp', 'maxConnectionDuration'], out);
      if (typeof t.idleTimeout === 'string' && parseGoDuration(t.idleTimeout) !== 0n) {
        // 0s disables the idle timeout; anything else must be a valid duration (no CEL rule covers this field)
        const nanos = parseGoDuration(t.idleTimeout);
        if (nanos === undefined || nanos < NANOS_PER_MS) out.push(problem([...where, 'tcp', 'idleTimeout'], `is ${show(t.idleTimeout)}; use 0s (no idle timeout) or a duration of at least 1ms.`));
        else checkDuration(t.idleTimeout, [...where, 'tcp', 'idleTimeout'], out);
      }
      if (isObject(t.tcpKeepalive)) {
        checkDuration(t.tcpKeepalive.time, [...where, 'tcp', 'tcpKeepalive', 'time'], out);
        checkDuration(t.tcpKeepalive.interval, [...where, 'tcp', 'tcpKeepalive', 'interval'], out);
      }
    }
  }
  if (isObject(policy.loadBalancer)) {
    const lb = policy.loadBalancer;
    const where = [...at, 'loadBalancer'];
    if (isObject(lb.consistentHash)) {
      const ch = lb.consistentHash;
      if (isObject(ch.httpCookie) && (typeof ch.httpCookie.name !== 'string' || ch.httpCookie.name === '')) out.push(problem([...where, 'consistentHash', 'httpCookie', 'name'], 'is required for httpCookie.'));
      if (typeof ch.minimumRingSize === 'number' && ch.minimumRingSize !== 0 && (has(ch, 'maglev') || has(ch, 'ringHash'))) out.push(problem([...where, 'consistentHash', 'minimumRingSize'], 'is set with maglev or ringHash; Istio takes only one of them.'));
      if (isObject(ch.maglev)) {
        const size = ch.maglev.tableSize;
        if (typeof size !== 'number' || size === 0) out.push(problem([...where, 'consistentHash', 'maglev', 'tableSize'], 'must be set for maglev.'));
        else if (size >= 5000011 || !isPrime(size)) out.push(problem([...where, 'consistentHash', 'maglev', 'tableSize'], `is ${size}; Istio wants a prime number below 5000011.`));
      }
    }
    if (isObject(lb.localityLbSetting)) {
      const l = lb.localityLbSetting;
      if (Array.isArray(l.distribute) && l.distribute.length > 0 && Array.isArray(l.failover) && l.failover.length > 0) out.push(problem([...where, 'localityLbSetting'], "sets both distribute and failover, which Istio refuses together."));
    }
    if (isObject(lb.warmup)) {
      const w = lb.warmup;
      if (!has(w, 'duration')) out.push(problem([...where, 'warmup', 'duration'], 'is required for warmup.'));
      else checkDuration(w.duration, [...where, 'warmup', 'duration'], out);
      if (typeof w.minimumPercent === 'number' && w.minimumPercent > 100) out.push(problem([...where, 'warmup', 'minimumPercent'], `is ${w.minimumPercent}; use 100 or less.`));
      if (typeof w.aggression === 'number' && w.aggression < 1) out.push(problem([...where, 'warmup', 'aggression'], `is ${w.aggression}; use 1 or more.`));
    }
  }
  if (isObject(policy.tls)) checkClientTls(policy.tls, [...at, 'tls'], out);
}

/** agent.ValidateTLS for a ClientTLSSettings. */
function checkClientTls(tls: Json, at: Segment[], out: Problem[]): void {
  const set = (f: string) => typeof tls[f] === 'string' && tls[f] !== '';
  const mode = tls.mode;
  if (tls.insecureSkipVerify === true) {
    if (mode === 'SIMPLE' && (set('caCertificates') || set('credentialName') || has(tls, 'subjectAltNames'))) out.push(problem(at, 'sets insecureSkipVerify with caCertificates, credentialName or subjectAltNames, which Istio refuses in SIMPLE mode.'));
    if (mode === 'MUTUAL' && (set('caCertificates') || has(tls, 'subjectAltNames'))) out.push(problem(at, 'sets insecureSkipVerify with caCertificates or subjectAltNames, which Istio refuses in MUTUAL mode.'));
  }
  if ((mode === 'SIMPLE' || mode === 'MUTUAL') && set('credentialName')) {
    if (set('clientCertificate') || set('caCertificates') || set('privateKey') || set('caCrl')) out.push(problem(at, 'sets credentialName and also certificate files; Istio takes one or the other.'));
    return;
  }
  if (mode === 'MUTUAL') {
    if (!set('clientCertificate')) out.push(problem([...at, 'clientCertificate'], 'is required for MUTUAL TLS (or set credentialName); for the mesh\'s own certificates use mode ISTIO_MUTUAL.'));
    if (!set('privateKey')) out.push(problem([...at, 'privateKey'], 'is required for MUTUAL TLS (or set credentialName); for the mesh\'s own certificates use mode ISTIO_MUTUAL.'));
  }
}

function isPrime(x: number): boolean {
  if (x !== 0 && x < 4) return true;
  if (x % 2 === 0) return false;
  for (let f = 3; f * f <= x; f += 2) if (x % f === 0) return false;
  return true;
}

// --- names -------------------------------------------------------------------------------------

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const isLabel = (s: string): boolean => s.length <= 63 && DNS_LABEL.test(s);
/** agent.ValidateFQDN: at most 255 characters of DNS-1123 labels. */
const isFqdn = (s: string): boolean => s.length > 0 && s.length <= 255 && s.split('.').every((label, i, all) => (i === all.length - 1 && label === '' && i > 0) || isLabel(label)) && !/^\d+$/.test(s.split('.').filter(Boolean).pop() ?? '');
const isIp = (s: string): boolean => /^(\d{1,3})(\.\d{1,3}){3}$/.test(s) && s.split('.').every((n) => Number(n) <= 255) || (s.includes(':') && /^[0-9a-fA-F:.]+$/.test(s));
const isPort = (p: unknown): boolean => typeof p === 'number' && Number.isInteger(p) && p >= 1 && p <= 65535;

/** validateGatewayNames: `namespace/name` of DNS-1123 labels, or `mesh`; the legacy `name.namespace` is a warning. */
export function checkGatewayNames(gateways: readonly unknown[]): { errors: Problem[]; warnings: Problem[] } {
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  gateways.forEach((gateway, i) => {
    if (typeof gateway !== 'string') return;
    const slash = gateway.indexOf('/');
    if (slash < 0) {
      if (gateway.includes('.')) {
        const [name, namespace] = gateway.split('.');
        warnings.push(problem([i], `is ${show(gateway)}, Istio's legacy name.namespace form; write ${namespace}/${name}.`));
      }
      if (!isFqdn(gateway)) errors.push(problem([i], `is ${show(gateway)}, which Istio refuses; name a gateway as namespace/name (lower-case DNS labels), or mesh.`));
      return;
    }
    const namespace = gateway.slice(0, slash);
    const name = gateway.slice(slash + 1);
    if (!isLabel(namespace) || !isLabel(name)) {
      errors.push(problem([i], `is ${show(gateway)}, which Istio refuses; its namespace and name must be lower-case DNS labels (letters, digits, -), as in istio-system/public-gateway.`));
    }
  });
  return { errors, warnings };
}

/** validateExportTo for a VirtualService or DestinationRule: `.`, `*` or namespaces, each once; `*` alone; never `~`. */
export function checkExportTo(exportTo: readonly unknown[], namespace?: string): Problem[] {
  const out: Problem[] = [];
  const seen = new Set<string>();
  exportTo.forEach((entry, i) => {
    if (typeof entry !== 'string') return;
    const key = entry === '.' && namespace ? namespace : entry;
    if (seen.has(key)) out.push(problem([i], key !== entry ? `is ., the namespace ${namespace} again; list it once.` : `is ${show(entry)} again; list each entry once.`));
    else if (entry === '~') out.push(problem([i], 'is ~ (exported to no one), which Istio allows only on ServiceEntries; use . to keep it in its namespace.'));
    else if (entry !== '.' && entry !== '*' && !isLabel(entry)) out.push(problem([i], `is ${show(entry)}; use ., * or a namespace name (a lower-case DNS label).`));
    seen.add(key);
  });
  if (seen.has('*') && exportTo.length > 1) out.push(problem([], 'lists * with other entries, which Istio refuses; * alone already exports everywhere.'));
  return out;
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\0${p.message}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}
