// The pipeline commands as users meet them through the executable: --help on each, usage errors
// (exit 2, one line, no stack trace), and `render --output markdown`.
import { describe, expect, it } from 'vitest';
import { BUNDLE, ROOT, run } from '../e2e/tools.ts';

const switchyard = (args: string[], input?: string) => run('node', [BUNDLE, ...args], { cwd: ROOT, ...(input === undefined ? {} : { input }) });
const noStackTrace = (text: string) => expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe('pipeline commands', () => {
  it.each([['fragment'], ['prune'], ['explain'], ['check'], ['diff']])('%s --help prints usage and exits 0', (command) => {
    const result = switchyard([command, '--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Usage: switchyard ${command} `));
    expect(result.stderr).toBe('');
  });

  it('render --output json prints one results document with the objects render prints', () => {
    const result = switchyard(['render', '--output', 'json', 'examples/render']);
    expect(result.status, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as { schema: string; command: string; objects: { kind: string; metadata: { name: string } }[] };
    expect([doc.schema, doc.command]).toEqual(['switchyard.dev/results/v1', 'render']);
    // the mesh VirtualService, one per environment host set, and the DestinationRule
    expect(doc.objects.map((o) => `${o.kind} ${o.metadata.name}`).sort()).toEqual([
      'DestinationRule checkout',
      'VirtualService checkout',
      'VirtualService checkout.pre-staging',
      'VirtualService checkout.production',
      'VirtualService checkout.staging',
    ]);
  });

  it('the main help lists them', () => {
    const help = switchyard(['--help']).stdout;
    for (const command of ['fragment', 'prune', 'explain', 'check', 'diff']) expect(help).toMatch(new RegExp(`\\n  ${command} +\\S`));
  });

  it.each([
    [['fragment', '--branch', 'x'], 'fragment needs --service NAME'],
    [['fragment', '--service', 'checkout', '--colour'], "Unknown option '--colour'"],
    [['prune'], 'prune needs the folder of fragment files'],
    [['explain', 'examples/render'], 'explain needs --host HOST'],
    [['check'], 'check needs at least one PATH'],
    [['check', '--output', 'html', 'examples/render'], '--output html is not a known format; use text, markdown, json or sarif.'],
    [['render', '--output', 'html', 'examples/render'], '--output html is not a known format; use yaml, markdown or json.'],
    [['diff', 'examples/render'], 'diff needs --base PATH'],
    [['prune', '--output', 'sarif', 'fragments'], '--output sarif is not a known format; use text or json.'],
  ])('%j is a usage error (exit 2)', (args, message) => {
    const result = switchyard(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('Run switchyard --help for usage.');
    noStackTrace(result.stderr);
  });

  it('render --output markdown prints the routing table instead of the objects', () => {
    const result = switchyard(['render', '--output', 'markdown', 'examples/render']);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`## Switchyard routes

### VirtualService shop/checkout

Hosts \`checkout\` at \`mesh\`.

| # | Route | Host | Header | Subset | Share | Fragment |
|--:|---|---|---|---|--:|---|
| 1 | \`branch:checkout-feature-jp12\` | any | \`x-branch: feature-jp12\` and \`x-environment: staging\` | \`feature-jp12\` | 100% | \`checkout-feature-jp12\` |
| 2 | \`environment:production\` | any | \`x-environment: production\` | \`v2\` | 99% | \`checkout-v2\` |
| | | | | \`v3\` | 1% | \`checkout-v3\` |
| 3 | \`branch:checkout-bugfix-dp34\` | any | \`x-branch: bugfix-dp34\` | \`bugfix-dp34\` | 100% | \`checkout-bugfix-dp34\` |
| 4 | \`environment:staging\` | any | \`x-environment: staging\` | \`v3\` | 100% | \`checkout-staging-v3\` |
| 5 | \`environment:pre-staging\` | any | \`x-environment: pre-staging\` | \`v4\` | 100% | \`checkout-pre-staging-v4\` |
| 6 | \`default:production\` | any (catch-all) |  | \`v2\` | 99% | \`checkout-v2\` |
| | | | | \`v3\` | 1% | \`checkout-v3\` |

Subsets without traffic (rollback targets until their fragment is deleted): \`v1\` (\`checkout-v1\`).

### VirtualService shop/checkout.pre-staging

Hosts \`pre-staging.shop.example.com\` at \`istio-system/public-gateway\`.

| # | Route | Host | Header | Subset | Share | Fragment |
|--:|---|---|---|---|--:|---|
| 1 | \`branch:checkout-bugfix-dp34\` | any | \`x-branch: bugfix-dp34\` | \`bugfix-dp34\` | 100% | \`checkout-bugfix-dp34\` |
| 2 | \`environment:pre-staging\` | any (catch-all) |  | \`v4\` | 100% | \`checkout-pre-staging-v4\` |

### VirtualService shop/checkout.production

Hosts \`shop.example.com\` at \`istio-system/public-gateway\`.

| # | Route | Host | Header | Subset | Share | Fragment |
|--:|---|---|---|---|--:|---|
| 1 | \`environment:production\` | any (catch-all) |  | \`v2\` | 99% | \`checkout-v2\` |
| | | | | \`v3\` | 1% | \`checkout-v3\` |

### VirtualService shop/checkout.staging

Hosts \`staging.shop.example.com\` at \`istio-system/public-gateway\`.

| # | Route | Host | Header | Subset | Share | Fragment |
|--:|---|---|---|---|--:|---|
| 1 | \`branch:checkout-feature-jp12\` | any | \`x-branch: feature-jp12\` | \`feature-jp12\` | 100% | \`checkout-feature-jp12\` |
| 2 | \`branch:checkout-bugfix-dp34\` | any | \`x-branch: bugfix-dp34\` | \`bugfix-dp34\` | 100% | \`checkout-bugfix-dp34\` |
| 3 | \`environment:staging\` | any (catch-all) |  | \`v3\` | 100% | \`checkout-staging-v3\` |
`);
    expect(result.stderr).toBe('info: merged 7 fragments into 4 VirtualServices of shop/checkout (checkout, checkout.pre-staging, checkout.production, checkout.staging): 12 routes, 6 subsets.\n');
  });

  it('render --output markdown of a failed render lists the errors, and exits 1', () => {
    const broken = 'apiVersion: switchyard.dev/v1alpha1\nkind: RouteFragment\nmetadata: {name: checkout-v9, namespace: shop}\nspec:\n  service: checkout\n  subset: {name: v9, labels: {app: checkout}}\n  release: {environment: production, revision: 9, weight: 150}\n';
    const result = switchyard(['render', '-o', 'markdown', 'examples/render', '-'], broken);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('**Render failed** with 1 error; nothing was rendered.\n\n- **error**: RouteFragment shop/checkout-v9 (stdin): spec.release.weight is 150; use 100 or less.\n');
  });

  it('a pipe in a value cannot break the table', () => {
    const policy = 'apiVersion: switchyard.dev/v1alpha1\nkind: RoutingPolicy\nmetadata: {name: p}\nspec:\n  allowedMatches: [exact, regex]\n  environments: [{name: production, default: true}]\n---\n';
    const fragments = [
      'apiVersion: switchyard.dev/v1alpha1\nkind: RouteFragment\nmetadata: {name: v1}\nspec:\n  service: checkout\n  subset: {name: v1, labels: {app: checkout}}\n  release: {environment: production, revision: 1}\n',
      'apiVersion: switchyard.dev/v1alpha1\nkind: RouteFragment\nmetadata: {name: ab}\nspec:\n  service: checkout\n  subset: {name: ab, labels: {app: ab}}\n  branch: {value: "a|b", match: regex}\n',
    ].join('---\n');
    const result = switchyard(['render', '-o', 'markdown', '-'], `${policy}${fragments}`);
    expect(result.stdout).toContain('| 1 | `branch:ab` | any | `x-branch: regex a\\|b` | `ab` | 100% | `ab` |');
  });
});
