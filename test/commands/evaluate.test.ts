// Route evaluation as Istio does it (src/merge/evaluate.ts), which explain and check share:
// tables of requests against the checked-in example's VirtualService, tables of match semantics,
// and property tests against a deliberately plain second evaluator written here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { boundGateways, evaluateRoutes, findShadows, hostRank, matcherCovers, normalizeMatcher, servesHost, type HttpRequest, type Matcher, type RouteLike } from '../../src/merge/evaluate.ts';
import { ROOT } from '../e2e/tools.ts';

const expected = parseAllDocuments(readFileSync(join(ROOT, 'examples/render/expected.yaml'), 'utf8')).map((d) => d.toJS());
type VS = { metadata: { name: string; namespace?: string }; spec: { hosts: string[]; gateways?: string[]; http: RouteLike[] } };
const services = expected.filter((o) => o.kind === 'VirtualService') as VS[];
const named = (name: string) => services.find((vs) => vs.metadata.name === name)!;
const GATEWAY = 'istio-system/public-gateway';

const request = (authority: string, headers: Record<string, string> = {}, path = '/'): HttpRequest => ({ authority, headers, path });
const answer = (http: readonly RouteLike[], req: HttpRequest) => {
  const e = evaluateRoutes(http, req);
  return {
    route: e.answer === undefined ? null : (http[e.answer]!.name as string),
    shares: e.destinations.map((d) => `${d.subset}:${d.share}`).join(' '),
  };
};
/** The VirtualService Envoy's virtual host holds for the request at `gateway` (the best domain match), then its answer. */
const answerAt = (gateway: string, req: HttpRequest) => {
  const bound = services.filter((vs) => boundGateways(vs.spec.gateways, vs.metadata.namespace).includes(gateway));
  const ranked = bound.map((vs) => ({ vs, rank: hostRank(vs.spec.hosts, vs.metadata.namespace, req.authority) })).filter((r) => r.rank !== undefined);
  const best = ranked.sort((a, b) => b.rank! - a.rank!)[0];
  return best ? { virtualService: best.vs.metadata.name, ...answer(best.vs.spec.http, req) } : null;
};

describe('evaluateRoutes on examples/render/expected.yaml', () => {
  const P = 'shop.example.com';
  const S = 'staging.shop.example.com';
  const PS = 'pre-staging.shop.example.com';
  // The table of docs/reference.md ("Which route answers a request"), and more.
  it.each([
    [GATEWAY, P, {}, 'checkout.production', 'environment:production', 'v2:99 v3:1'],
    [GATEWAY, P, { 'x-branch': 'feature-jp12' }, 'checkout.production', 'environment:production', 'v2:99 v3:1'],
    [GATEWAY, P, { 'x-branch': 'bugfix-dp34' }, 'checkout.production', 'environment:production', 'v2:99 v3:1'],
    [GATEWAY, 'SHOP.Example.COM:8080', { 'x-branch': 'bugfix-dp34' }, 'checkout.production', 'environment:production', 'v2:99 v3:1'], // any case, any port
    [GATEWAY, S, {}, 'checkout.staging', 'environment:staging', 'v3:100'],
    [GATEWAY, S, { 'x-branch': 'feature-jp12' }, 'checkout.staging', 'branch:checkout-feature-jp12', 'feature-jp12:100'],
    [GATEWAY, S, { 'x-branch': 'bugfix-dp34' }, 'checkout.staging', 'branch:checkout-bugfix-dp34', 'bugfix-dp34:100'],
    [GATEWAY, S, { 'x-branch': 'feature-zz99' }, 'checkout.staging', 'environment:staging', 'v3:100'],
    [GATEWAY, S, { 'x-branch': 'Feature-JP12' }, 'checkout.staging', 'environment:staging', 'v3:100'], // values are case-sensitive
    [GATEWAY, S, { 'x-branch': 'feature-jp12x' }, 'checkout.staging', 'environment:staging', 'v3:100'], // exact is exact
    [GATEWAY, S, { 'x-other': 'feature-jp12' }, 'checkout.staging', 'environment:staging', 'v3:100'],
    [GATEWAY, `${S}:443`, {}, 'checkout.staging', 'environment:staging', 'v3:100'],
    [GATEWAY, PS, {}, 'checkout.pre-staging', 'environment:pre-staging', 'v4:100'],
    [GATEWAY, PS, { 'x-branch': 'feature-jp12' }, 'checkout.pre-staging', 'environment:pre-staging', 'v4:100'],
    [GATEWAY, PS, { 'x-branch': 'bugfix-dp34' }, 'checkout.pre-staging', 'branch:checkout-bugfix-dp34', 'bugfix-dp34:100'],
    ['mesh', 'checkout', {}, 'checkout', 'default:production', 'v2:99 v3:1'],
    ['mesh', 'checkout', { 'x-branch': 'bugfix-dp34' }, 'checkout', 'branch:checkout-bugfix-dp34', 'bugfix-dp34:100'],
    ['mesh', 'checkout', { 'x-branch': 'feature-jp12' }, 'checkout', 'default:production', 'v2:99 v3:1'],
    ['mesh', 'checkout', { 'x-branch': 'feature-jp12', 'x-environment': 'staging' }, 'checkout', 'branch:checkout-feature-jp12', 'feature-jp12:100'],
    ['mesh', 'checkout', { 'x-environment': 'staging' }, 'checkout', 'environment:staging', 'v3:100'],
    ['mesh', 'checkout', { 'x-environment': 'production', 'x-branch': 'bugfix-dp34' }, 'checkout', 'environment:production', 'v2:99 v3:1'],
    ['mesh', 'checkout.shop.svc.cluster.local', {}, 'checkout', 'default:production', 'v2:99 v3:1'],
  ])('at %s, host %s, headers %j: %s %s (%s)', (gateway, host, headers, vs, route, shares) => {
    expect(answerAt(gateway, request(host, headers))).toEqual({ virtualService: vs, route, shares });
  });

  it('no VirtualService claims an environment host on the mesh, nor the service name at the gateway', () => {
    expect(answerAt('mesh', request(P))).toBeNull();
    expect(answerAt(GATEWAY, request('checkout'))).toBeNull();
  });

  it('answers every route of the example for some request (none is dead)', () => {
    for (const vs of services) {
      const reached = new Set<string>();
      for (const env of [undefined, 'production', 'staging', 'pre-staging']) {
        for (const value of [undefined, 'feature-jp12', 'bugfix-dp34']) {
          const headers = { ...(value ? { 'x-branch': value } : {}), ...(env ? { 'x-environment': env } : {}) };
          const r = answer(vs.spec.http, request(vs.spec.hosts[0]!, headers));
          if (r.route) reached.add(r.route);
        }
      }
      expect([...reached].sort()).toEqual(vs.spec.http.map((r) => r.name as string).sort());
    }
  });

  it('says why each earlier route did not match', () => {
    const e = evaluateRoutes(named('checkout').spec.http, request('checkout', { 'x-branch': 'bugfix-dp34', 'x-environment': 'staging' }));
    expect(e.answer).toBe(2);
    expect(e.routes.map((r) => [r.name, r.matched])).toEqual([
      ['branch:checkout-feature-jp12', false],
      ['environment:production', false],
      ['branch:checkout-bugfix-dp34', true],
    ]);
    const first = e.routes[0]!.entries[0]!.conditions.map((c) => [c.condition.field, c.actual, c.outcome]);
    expect(first).toEqual([
      ['headers.x-branch', 'bugfix-dp34', 'no-match'],
      ['headers.x-environment', 'staging', 'match'],
    ]);
  });

  it.each([
    ['checkout.production', 'shop.example.com', true],
    ['checkout.production', 'shop.example.com:443', true],
    ['checkout.production', 'Shop.Example.com', true],
    ['checkout.production', 'staging.shop.example.com', false],
    ['checkout', 'checkout', true],
    ['checkout', 'checkout.shop', true],
    ['checkout', 'checkout.shop.svc.cluster.local', true],
    ['checkout', 'checkout.other.svc.cluster.local', false],
    ['checkout', 'shop.example.com', false],
  ])('VirtualService %s serves host %s: %s', (name, host, served) => {
    expect(servesHost(named(name).spec.hosts, 'shop', host)).toBe(served);
  });

  it.each([
    [['*.shop.example.com', 'staging.shop.example.com'], 'staging.shop.example.com', Number.MAX_SAFE_INTEGER],
    [['*.shop.example.com'], 'a.staging.shop.example.com', '.shop.example.com'.length + 1],
    [['*.shop.example.com'], 'shop.example.com', undefined], // a wildcard never matches the empty label
    [['*'], 'anything', 0],
  ])('hostRank(%j, %s) = %s: exact beats a wildcard, a longer suffix a shorter one', (hosts, host, rank) => {
    expect(hostRank(hosts, 'shop', host)).toBe(rank);
  });
});

const route = (name: string, match?: unknown[], route: unknown[] = [{ destination: { host: 'svc', subset: name }, weight: 100 }]): RouteLike => ({ name, ...(match ? { match } : {}), route });

describe('match semantics', () => {
  it.each([
    ['exact host', [{ authority: { exact: 'a.example.com' } }], request('a.example.com'), true],
    ['exact host, other host', [{ authority: { exact: 'a.example.com' } }], request('b.example.com'), false],
    ['prefix host', [{ authority: { prefix: 'a.' } }], request('a.example.com'), true],
    ['regex host is a whole-value match', [{ authority: { regex: 'example' } }], request('a.example.com'), false],
    ['regex host', [{ authority: { regex: '.*\\.example\\.com' } }], request('a.example.com'), true],
    ['header exact', [{ headers: { 'x-b': { exact: 'v' } } }], request('h', { 'x-b': 'v' }), true],
    ['header missing', [{ headers: { 'x-b': { exact: 'v' } } }], request('h'), false],
    ['header prefix', [{ headers: { 'x-b': { prefix: 'feature-' } } }], request('h', { 'x-b': 'feature-a' }), true],
    ['header prefix "" needs the header', [{ headers: { 'x-b': { prefix: '' } } }], request('h'), false],
    ['header {} is presence', [{ headers: { 'x-b': {} } }], request('h', { 'x-b': '' }), true],
    ['header regex, whole value', [{ headers: { 'x-b': { regex: 'feat' } } }], request('h', { 'x-b': 'feature' }), false],
    ['header regex', [{ headers: { 'x-b': { regex: 'feat.*' } } }], request('h', { 'x-b': 'feature' }), true],
    ['header regex alternation is anchored as a whole', [{ headers: { 'x-b': { regex: 'a|b' } } }], request('h', { 'x-b': 'ab' }), false],
    ['RE2 (?i) flag', [{ headers: { 'x-b': { regex: '(?i)FEATURE' } } }], request('h', { 'x-b': 'feature' }), true],
    ['header name in the match is case-insensitive', [{ headers: { 'X-B': { exact: 'v' } } }], request('h', { 'x-b': 'v' }), true],
    ['AND within an entry', [{ authority: { exact: 'h' }, headers: { 'x-b': { exact: 'v' } } }], request('h', { 'x-b': 'w' }), false],
    ['OR across entries', [{ authority: { exact: 'a' } }, { headers: { 'x-b': { exact: 'v' } } }], request('h', { 'x-b': 'v' }), true],
    ['an empty entry matches all', [{}], request('anything'), true],
    ['withoutHeaders, header absent', [{ withoutHeaders: { 'x-b': { exact: 'v' } } }], request('h'), true],
    ['withoutHeaders, header matches', [{ withoutHeaders: { 'x-b': { exact: 'v' } } }], request('h', { 'x-b': 'v' }), false],
    ['uri prefix', [{ uri: { prefix: '/api' } }], request('h', {}, '/api/cart?x=1'), true],
    ['uri exact ignores the query', [{ uri: { exact: '/cart' } }], request('h', {}, '/cart?x=1'), true],
    ['ignoreUriCase', [{ uri: { exact: '/Cart' }, ignoreUriCase: true }], request('h', {}, '/cart'), true],
    ['queryParams', [{ queryParams: { q: { exact: '1' } } }], request('h', {}, '/?q=1'), true],
    ['an unknown condition does not match', [{ sourceLabels: { app: 'x' } }], request('h'), false],
  ])('%s', (_, match, req, matched) => {
    const e = evaluateRoutes([route('r', match)], req);
    expect(e.answer === 0).toBe(matched);
  });

  it('no route matches: no answer, no destinations (Istio answers 404)', () => {
    const e = evaluateRoutes([route('a', [{ authority: { exact: 'a' } }])], request('b'));
    expect(e.answer).toBeUndefined();
    expect(e.destinations).toEqual([]);
    expect(e.routes).toHaveLength(1);
  });

  it('shares: one destination without weight takes 100; weights are normalised', () => {
    expect(evaluateRoutes([{ name: 'x', route: [{ destination: { host: 'svc', subset: 'a' } }] }], request('h')).destinations[0]!.share).toBe(100);
    const two = evaluateRoutes([{ name: 'x', route: [{ destination: { host: 'svc', subset: 'a' }, weight: 1 }, { destination: { host: 'svc', subset: 'b' }, weight: 3 }] }], request('h'));
    expect(two.destinations.map((d) => d.share)).toEqual([25, 75]);
  });
});

describe('coverage: which routes can never answer', () => {
  const m = (kind: 'exact' | 'prefix' | 'regex', value: string): Matcher => ({ kind, value });
  it.each([
    [m('prefix', 'feature-'), m('exact', 'feature-jp12'), true],
    [m('prefix', 'feature-'), m('prefix', 'feature-jp'), true],
    [m('prefix', 'feature-jp'), m('prefix', 'feature-'), false],
    [m('exact', 'feature-jp12'), m('prefix', 'feature-jp12'), false],
    [m('regex', 'feature-.*'), m('exact', 'feature-jp12'), true],
    [m('regex', 'feature-.*'), m('prefix', 'feature-jp'), true], // the regex is a prefix
    [m('regex', 'f[a-z]+-[0-9]+'), m('exact', 'feature-12'), true],
    [m('regex', 'f[a-z]+-[0-9]+'), m('exact', 'feature-jp12'), false],
    [m('regex', '.*'), m('regex', 'anything|else'), true],
    [m('regex', 'a|b'), m('regex', 'a'), true], // the later regex is the exact value a
    [m('regex', 'a+|b'), m('regex', 'a+'), false], // cannot be shown: not claimed
    [m('exact', 'v'), m('regex', '^v$'), true],
  ])('%j covers %j: %s', (a, b, covers) => {
    expect(matcherCovers(a, b)).toBe(covers);
  });

  it('normalises regexes that are really exact values or prefixes', () => {
    expect(normalizeMatcher(m('regex', 'feature\\-jp12'))).toEqual(m('exact', 'feature-jp12'));
    expect(normalizeMatcher(m('regex', '^feature-.*$'))).toEqual(m('prefix', 'feature-'));
    expect(normalizeMatcher(m('regex', '\\d+'))).toEqual(m('regex', '\\d+'));
  });

  const header = (match: Record<string, string>) => ({ headers: { 'x-branch': match } });
  it.each([
    ['a prefix branch covers a later exact one', [route('a', [header({ prefix: 'feature-' })]), route('b', [header({ exact: 'feature-jp12' })])], ['1<0']],
    ['an exact branch does not cover a later prefix one', [route('a', [header({ exact: 'feature-jp12' })]), route('b', [header({ prefix: 'feature-' })])], []],
    ['a scoped branch does not cover an unscoped one', [route('a', [{ authority: { exact: 's' }, ...header({ prefix: '' }) }]), route('b', [header({ exact: 'x' })])], []],
    ['an unscoped branch covers a scoped one after it', [route('a', [header({ exact: 'x' })]), route('b', [{ authority: { exact: 's' }, ...header({ exact: 'x' }) }])], ['1<0']],
    ['a route after a catch-all', [route('all'), route('b', [{ authority: { exact: 's' } }]), route('c')], ['1<0', '2<0']],
    ['the earliest route that takes it is named', [route('a', [{ uri: { prefix: '/api' } }]), route('all'), route('c', [{ uri: { prefix: '/api/v2' } }])], ['2<0']],
    ['one of two entries covered: partly', [route('a', [{ authority: { exact: 's' } }]), route('b', [{ authority: { exact: 's' } }, { authority: { exact: 't' } }])], ['1<0 partly']],
    ['the same host twice', [route('a', [{ authority: { exact: 's' } }]), route('b', [{ authority: { exact: 's' } }])], ['1<0']],
    ['different hosts', [route('a', [{ authority: { exact: 's' } }]), route('b', [{ authority: { exact: 't' } }])], []],
  ])('%s', (_, http, shadows) => {
    expect(findShadows(http).map((s) => `${s.route}<${s.entries[0]!.by.route}${s.complete ? '' : ' partly'}`)).toEqual(shadows);
  });

  it('finds nothing shadowed in the example', () => {
    for (const vs of services) expect(findShadows(vs.spec.http)).toEqual([]);
  });

  it('stays fast with thousands of exact routes', () => {
    const http = Array.from({ length: 5000 }, (_, i) => route(`r${i}`, [{ authority: { exact: `h${i % 3}` }, ...header({ exact: `v${i}` }) }]));
    http.push(route('dup', [{ authority: { exact: 'h0' }, ...header({ exact: 'v0' }) }]));
    const started = Date.now();
    const shadows = findShadows(http);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(shadows.map((s) => s.route)).toEqual([5000]);
  });
});

// --- properties against a plain second evaluator ----------------------------------------------

/** What Istio does, written as plainly as possible (no shared code with src/merge/evaluate.ts). */
function plainAnswer(http: readonly { match?: { authority?: Record<string, string>; headers?: Record<string, Record<string, string>> }[] }[], host: string, headers: Record<string, string>): number | undefined {
  const fits = (m: Record<string, string>, value: string | undefined): boolean => {
    if (value === undefined) return false;
    if ('exact' in m) return value === m.exact;
    if ('prefix' in m) return value.startsWith(m.prefix!);
    return new RegExp(`^(?:${m.regex})$`).test(value);
  };
  for (let i = 0; i < http.length; i++) {
    const match = http[i]!.match;
    if (!match || match.length === 0) return i;
    const any = match.some((entry) => (entry.authority === undefined || fits(entry.authority, host)) && Object.entries(entry.headers ?? {}).every(([name, m]) => fits(m, headers[name])));
    if (any) return i;
  }
  return undefined;
}

const values = ['a', 'ab', 'abc', 'b', 'feature-1', 'feature-12'];
const stringMatch = fc.oneof(
  fc.constantFrom(...values).map((exact) => ({ exact })),
  fc.constantFrom('', 'a', 'ab', 'feature-').map((prefix) => ({ prefix })),
  fc.constantFrom('a.*', 'feature-[0-9]+', 'ab?c?', '.*').map((regex) => ({ regex })),
);
const entry = fc.record({ authority: stringMatch, headers: fc.dictionary(fc.constantFrom('x-a', 'x-b'), stringMatch, { maxKeys: 2 }) }, { requiredKeys: [] });
const routes = fc.array(fc.record({ name: fc.constant('r'), match: fc.option(fc.array(entry, { minLength: 1, maxLength: 3 }), { nil: undefined }) }, { requiredKeys: ['name'] }), { maxLength: 6 }).map((rs) => rs.map((r, i) => ({ ...r, name: `r${i}`, route: [{ destination: { host: 's', subset: `r${i}` } }] })));
const req = fc.record({ host: fc.constantFrom(...values), headers: fc.dictionary(fc.constantFrom('x-a', 'x-b'), fc.constantFrom(...values), { maxKeys: 2 }) });

describe('properties', () => {
  it('evaluateRoutes answers as the plain evaluator does', () => {
    fc.assert(
      fc.property(routes, req, (http, r) => {
        expect(evaluateRoutes(http, request(r.host, r.headers)).answer).toBe(plainAnswer(http as never, r.host, r.headers));
      }),
      { numRuns: 2000 },
    );
  });

  it('a route that findShadows calls shadowed never answers any request', () => {
    fc.assert(
      fc.property(routes, fc.array(req, { minLength: 20, maxLength: 20 }), (http, requests) => {
        const dead = new Set(findShadows(http).filter((s) => s.complete).map((s) => s.route));
        for (const r of requests) {
          const answered = evaluateRoutes(http, request(r.host, r.headers)).answer;
          if (answered !== undefined) expect(dead.has(answered)).toBe(false);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
