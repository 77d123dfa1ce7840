// Route evaluation as Istio does it (src/merge/evaluate.ts), which explain and check share:
// tables of requests against the checked-in example's VirtualService, tables of match semantics,
// and property tests against a deliberately plain second evaluator written here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { evaluateRoutes, findShadows, matcherCovers, normalizeMatcher, servesHost, type HttpRequest, type Matcher, type RouteLike } from '../../src/merge/evaluate.ts';
import { ROOT } from '../e2e/tools.ts';

const expected = parseAllDocuments(readFileSync(join(ROOT, 'examples/render/expected.yaml'), 'utf8')).map((d) => d.toJS());
const checkout = expected.find((o) => o.kind === 'VirtualService') as { spec: { hosts: string[]; http: RouteLike[] } };

const request = (authority: string, headers: Record<string, string> = {}, path = '/'): HttpRequest => ({ authority, headers, path });
const answer = (http: readonly RouteLike[], req: HttpRequest) => {
  const e = evaluateRoutes(http, req);
  return {
    route: e.answer === undefined ? null : (http[e.answer]!.name as string),
    shares: e.destinations.map((d) => `${d.subset}:${d.share}`).join(' '),
  };
};

describe('evaluateRoutes on examples/render/expected.yaml', () => {
  const P = 'shop.example.com';
  const S = 'staging.shop.example.com';
  const PS = 'pre-staging.shop.example.com';
  // The table of docs/reference.md ("Which route answers a request"), and more.
  it.each([
    [P, {}, 'environment:production', 'v2:99 v3:1'],
    [P, { 'x-branch': 'feature-jp12' }, 'environment:production', 'v2:99 v3:1'],
    [P, { 'x-branch': 'bugfix-dp34' }, 'environment:production', 'v2:99 v3:1'],
    [S, {}, 'environment:staging', 'v3:100'],
    [S, { 'x-branch': 'feature-jp12' }, 'branch:checkout-feature-jp12', 'feature-jp12:100'],
    [S, { 'x-branch': 'bugfix-dp34' }, 'branch:checkout-bugfix-dp34', 'bugfix-dp34:100'],
    [S, { 'x-branch': 'feature-zz99' }, 'environment:staging', 'v3:100'],
    [S, { 'x-branch': 'Feature-JP12' }, 'environment:staging', 'v3:100'], // values are case-sensitive
    [S, { 'x-branch': 'feature-jp12x' }, 'environment:staging', 'v3:100'], // exact is exact
    [S, { 'x-other': 'feature-jp12' }, 'environment:staging', 'v3:100'],
    [PS, {}, 'environment:pre-staging', 'v4:100'],
    [PS, { 'x-branch': 'feature-jp12' }, 'environment:pre-staging', 'v4:100'],
    [PS, { 'x-branch': 'bugfix-dp34' }, 'branch:checkout-bugfix-dp34', 'bugfix-dp34:100'],
    ['checkout', {}, 'default:production', 'v2:99 v3:1'],
    ['checkout', { 'x-branch': 'bugfix-dp34' }, 'branch:checkout-bugfix-dp34', 'bugfix-dp34:100'],
    ['checkout', { 'x-branch': 'feature-jp12' }, 'default:production', 'v2:99 v3:1'],
    ['checkout.shop.svc.cluster.local', {}, 'default:production', 'v2:99 v3:1'],
    [`${S}:443`, {}, 'default:production', 'v2:99 v3:1'], // authority is matched as given: exact does not strip a port
  ])('host %s, headers %j: %s (%s)', (host, headers, route, shares) => {
    expect(answer(checkout.spec.http, request(host, headers))).toEqual({ route, shares });
  });

  it('answers every route of the example for some request (none is dead)', () => {
    const reached = new Set<string>();
    for (const host of [P, S, PS, 'checkout']) {
      for (const value of [undefined, 'feature-jp12', 'bugfix-dp34']) {
        const r = answer(checkout.spec.http, request(host, value ? { 'x-branch': value } : {}));
        if (r.route) reached.add(r.route);
      }
    }
    expect([...reached].sort()).toEqual(checkout.spec.http.map((r) => r.name as string).sort());
  });

  it('says why each earlier route did not match', () => {
    const e = evaluateRoutes(checkout.spec.http, request(S, { 'x-branch': 'bugfix-dp34' }));
    expect(e.answer).toBe(2);
    expect(e.routes.map((r) => [r.name, r.matched])).toEqual([
      ['branch:checkout-feature-jp12', false],
      ['environment:production', false],
      ['branch:checkout-bugfix-dp34', true],
    ]);
    const first = e.routes[0]!.entries[0]!.conditions.map((c) => [c.condition.field, c.actual, c.outcome]);
    expect(first).toEqual([
      ['authority', S, 'match'],
      ['headers.x-branch', 'bugfix-dp34', 'no-match'],
    ]);
  });

  it.each([
    ['shop.example.com', true],
    ['shop.example.com:443', true],
    ['checkout', true],
    ['checkout.shop', true],
    ['checkout.shop.svc.cluster.local', true],
    ['checkout.other.svc.cluster.local', false],
    ['api.example.com', false],
  ])('the VirtualService serves host %s: %s', (host, served) => {
    expect(servesHost(checkout.spec.hosts, 'shop', host)).toBe(served);
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
    expect(findShadows(checkout.spec.http)).toEqual([]);
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
