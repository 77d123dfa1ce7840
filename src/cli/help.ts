// Every command's --help. Examples here are the ones docs/ and the examples/ folders use.
export const MAIN_HELP = `switchyard: merge per-build RouteFragments into one Istio VirtualService and
DestinationRule per service.

Usage:
  switchyard render [--policy FILE] PATH... | kubectl apply -f -
  switchyard fn < resource-list.yaml                 (the KRM function, for kpt and kustomize)
  switchyard kustomize-plugin CONFIG < stream.yaml   (the exec plugin, for kubectl kustomize)
  switchyard fragment --service S --branch B [--environment E] [--out DIR]   (a build's fragment)
  switchyard prune DIR [--keep-previous N] [--branches-from FILE|-] [--dry-run]
  switchyard explain PATH... --host H [-H 'name: value']... [--path /p]
  switchyard check [--output markdown|json|sarif] [--rendered OUTPUT] PATH...
  switchyard diff --base PATH... [--output markdown|json] PATH...   (which requests change answer)
  switchyard canary FRAGMENT_FILE --prometheus URL [--until-done]   (one metrics-gated canary step)
  switchyard apply --owner deployment/NAME FILE|-    (cluster mode: a fragment owned by its Deployment)
  switchyard reconcile --policy FILE [-n NS | -A] [--watch]   (cluster mode: fragments -> routes)

Commands:
  render             print the merged routes and every other object that is not local config
  fn                 run as a KRM function: ResourceList on stdin, ResourceList on stdout
  kustomize-plugin   run as a kustomize exec plugin (also when called as RoutingPolicy)
  fragment           write one build's RouteFragment, from flags or its image reference
  prune              delete fragment files that are expired, superseded or of deleted branches
  explain            say which route answers a request, which subsets get what share, and why
  check              validate without writing: shadowed routes, missing subsets, size
  diff               which requests change answer between two sets of fragments, for review
  canary             advance, hold, roll back or promote a canary fragment by Prometheus metrics
  apply              create or update RouteFragments in the cluster, owned by a Deployment
  reconcile          merge the cluster's RouteFragments and write the routes that changed

Options:
  -h, --help         show help (also: switchyard COMMAND --help)
  -v, --version      show the version

With no command and a ResourceList on stdin, switchyard runs as the KRM function.
Exit status: 0 success (warnings allowed), 1 an error result, 2 a usage error, 70 an internal
error (a bug: the message asks you to report it, with its trace).
Colour on a terminal; NO_COLOR=1 turns it off.
Docs: README.md and docs/ in the package.`;

export const RENDER_HELP = `Usage: switchyard render [--policy FILE] [--now TIME] [--output yaml|markdown|json] [--quiet] PATH...

Reads RouteFragments, a RoutingPolicy and any other objects from files, folders (every
*.yaml and *.yml below them, sorted) and - (standard input), merges the fragments into one
VirtualService and one DestinationRule per namespace and service, and prints, as YAML, every
object that is not local config: the generated objects and the rest of the input (Deployments,
Services...). RouteFragments and the RoutingPolicy are left out. Results go to stderr.

Options:
  --policy FILE   the RoutingPolicy (default: the one RoutingPolicy among the inputs)
  --now TIME      judge expiry at this RFC 3339 instant instead of the current time
  -o, --output F  yaml (default), or markdown: a table of the routes (host, header, subset,
                  share, fragment) instead of the objects, for a CI step summary; or json:
                  the results document (docs/reference.md#machine-readable-results) with
                  the objects and the routes
  -q, --quiet     print errors and warnings only, not the info results
  -h, --help      show this help

Example:
  switchyard render --policy policy.yaml fragments/ deploy/ | kubectl apply -f -
  switchyard render --output markdown policy.yaml fragments/ >> "$GITHUB_STEP_SUMMARY"

Exit status: 0 rendered (warnings allowed), 1 an error result (nothing printed), 2 usage,
70 an internal error (a bug; please report it).`;

// `switchyard fn --help` is the function's README, functions/switchyard/README.md (one text, not two):
// scripts/build.mjs renders its Overview and Usage into this module.
export { FN_HELP } from './generated/fn-help.ts';

export const PLUGIN_HELP = `Usage: switchyard kustomize-plugin CONFIG < stream.yaml

The kustomize exec plugin protocol, for kubectl kustomize --enable-alpha-plugins (which never runs
KRM exec functions). Install by linking the executable as
  $KUSTOMIZE_PLUGIN_HOME/switchyard.dev/v1alpha1/routingpolicy/RoutingPolicy
Called under that name, switchyard runs this command. CONFIG is the RoutingPolicy file; the
resources arrive as a YAML stream on stdin and leave on stdout.

Options:
  --now TIME   judge expiry at this RFC 3339 instant instead of the current time
  -h, --help   show this help`;

export const RECONCILE_HELP = `Usage: switchyard reconcile --policy FILE [-n NAMESPACE | -A] [--dry-run[=server]] [--watch]
                           [--settle DURATION] [--request-timeout DURATION] [--adopt-policy]
                           [--kubeconfig PATH] [--lease [NAMESPACE/]NAME] [--now TIME] [--quiet]
                           [--health-address ADDRESS] [--health-port PORT]

Cluster mode. Lists the RouteFragments of a namespace (and its Deployments, for spec.workload),
merges them with the same rules as render, and writes each service's VirtualService and
DestinationRule only where they changed (server-side apply, field manager switchyard),
make-before-break in Envoy's time: first the DestinationRule with the old and new subsets, then,
a settle time later, the VirtualService; a retired subset is removed by a reconcile a settle time
after the routes stopped using it. Routes of a service with no live fragment left are deleted.
Every write carries the resourceVersion it was computed from; on a conflict it reads again,
renders again and retries with jittered backoff, so reconcilers running at once never lose a
fragment. A write the API server refuses, fields another manager owns, or routes written by a
newer Switchyard or with another policy stop that service only, and are named.
Needs the package @kubernetes/client-node 1.x next to switchyard.

Options:
  --policy FILE        the RoutingPolicy (in a cluster: mounted from a ConfigMap; re-read each time)
  -n, --namespace NS   the namespace (default: the kubeconfig context's, else default)
  -A, --all-namespaces every namespace with RouteFragments or with routes Switchyard made
  --dry-run            print the writes it would make, one per line, and write nothing
  --dry-run=server     send every write with dryRun=All: the API server and its admission
                       webhooks (Istio's validation) judge them; nothing is stored
  -w, --watch          keep reconciling on every change (a controller); replicas elect a leader
                       through a coordination.k8s.io Lease; stops on SIGTERM or SIGINT
  --settle DURATION    how long configuration takes to reach the proxies (default 10s; 0 writes
                       all make-before-break steps at once)
  --request-timeout DURATION  abandon any API request after this long (default 30s)
  --adopt-policy       overwrite routes rendered with another RoutingPolicy (after a deliberate
                       policy change; without it such routes are left alone and named)
  --lease [NS/]NAME    the Lease for --watch (default: switchyard-reconcile in the namespace, or
                       in the context's namespace with -A)
  --health-address A   --watch: where /livez and /readyz are served (default 127.0.0.1; in a pod,
                       its IP, so that the kubelet can probe it)
  --health-port PORT   --watch: their port (default 8081; 0 picks a free one)
  --kubeconfig PATH    the kubeconfig (default: $KUBECONFIG, ~/.kube/config, or in-cluster)
  --now TIME           judge expiry from this RFC 3339 instant instead of the current time
  -q, --quiet          print errors and warnings only, not the info results
  -h, --help           show this help

Example:
  switchyard reconcile -n shop --policy policy.yaml --dry-run

Exit status: 0 reconciled (warnings allowed), 1 an error result (for a service: its writes were
not made; the others were) or a cluster failure, 2 usage, 70 an internal error (a bug). Docs: docs/cluster.md.`;

export const APPLY_HELP = `Usage: switchyard apply [--owner deployment/NAME] [-n NAMESPACE] [--kubeconfig PATH] FILE|-

Cluster mode. Creates or updates the RouteFragments in FILE (or a folder, or - for standard input)
in the cluster. With --owner, each fragment gets an ownerReference to that Deployment (its uid is
looked up), so the Kubernetes garbage collector deletes the fragment when the Deployment is
deleted; spec.workload names the Deployment too when the fragment leaves it out. Every fragment is
validated before the first write. Needs the package @kubernetes/client-node 1.x next to switchyard.

Options:
  --owner deployment/NAME  the Deployment that owns the fragments (in their namespace)
  -n, --namespace NS       the namespace (default: the fragment's, else the kubeconfig context's)
  --kubeconfig PATH        the kubeconfig (default: $KUBECONFIG, ~/.kube/config, or in-cluster)
  -h, --help               show this help

Example (a branch build's pipeline, after it deployed checkout-feature-jp12):
  switchyard fragment ... | switchyard apply --owner deployment/checkout-feature-jp12 -n shop -
  switchyard reconcile -n shop --policy policy.yaml

Exit status: 0 applied, 1 an invalid fragment (nothing written), a missing owner or a cluster
failure, 2 usage, 70 an internal error (a bug). Docs: docs/cluster.md.`;

export const FRAGMENT_HELP = `Usage: switchyard fragment --service NAME --branch BRANCH [--environment ENV] [options]
       switchyard fragment --service NAME --release --environment ENV --revision N [--weight W] [options]
       switchyard fragment --image IMAGE --tag-pattern PATTERN --policy FILE [options]

Writes the RouteFragment of one build: to stdout, or with --out DIR into DIR/<name>.yaml, a
file of its own (it prints the path). No other file is touched: the build's fragment is the only
thing it changes. The fragment is checked against the schema (and the policy, with --policy) and
against the fragments already in DIR (and --existing folders) before it is written.

A git branch name becomes the subset name and header value: lower case, every run of other
characters than a-z and 0-9 made one '-' (feature/JP-12 -> feature-jp-12). Two branches that
become one value, or a value longer than 63 characters, are errors.

What the build is:
  --branch BRANCH        a branch build: requests whose header (--header, default the policy's
                         branchHeader) carries the branch's value go to it
  --environment ENV      with --branch: only on ENV's hosts; with --release: the environment
  --release              a release of an environment: needs --environment and --revision
  --revision N           orders the releases of an environment; the newest stable one is live
  --weight W             a canary's percent, 0..100 (0 rolls it back); leave out for a stable release
  --header NAME          with --branch: another header the policy's allowedHeaders lists

From the image reference:
  --image IMAGE          the build's image; its name is the service unless --service is given
  --tag-pattern PATTERN  reads the tag: {environment}, {branch}, {sha}, {revision} and literal
                         text, such as '{environment}-{branch}-{sha}'; may repeat (the first that
                         fits wins). {environment} is one of the policy's environments with
                         --policy (so pre-staging-... reads as pre-staging), else one word

The fragment:
  --service NAME         the Kubernetes Service whose traffic it routes
  -n, --namespace NS     its namespace (the routes go to the fragments' namespace)
  --name NAME            default <service>-<subset> for a branch, <service>-<environment>-<subset>
                         for a release
  --subset NAME          default the branch's value, or v<revision> for a release
  --labels K=V,...       the pod labels of the subset (default app=<service>,version=<subset>)
  --workload [KIND/]NAME the build's workload (default kind Deployment), for cleanup
  --expires-in DURATION  expire after this long from now: 14d, 36h, 90m, 2w
  --now TIME             "now" for --expires-in, an RFC 3339 instant (default: the clock)

Output and checks:
  --out DIR              write DIR/<name>.yaml (created if needed) and print its path
  -o, --output F         yaml (default) or json, on stdout (without --out)
  --policy FILE          check the fragment against the RoutingPolicy too
  --existing DIR         also compare with the fragments in DIR (may repeat)
  -h, --help             show this help

Examples:
  switchyard fragment --service checkout -n shop --branch feature/JP-12 --environment staging \\
    --expires-in 14d --out fragments/
  switchyard fragment --service checkout -n shop --release --environment production \\
    --revision 3 --weight 1 --out fragments/
  switchyard fragment --image registry.example.com/checkout:staging-feature-jp12-3f2a9c1 \\
    --tag-pattern '{environment}-{branch}-{sha}' --policy policy.yaml -n shop --out fragments/

Exit status: 0 written, 1 an error (nothing written), 2 usage, 70 an internal error (a bug).`;

export const PRUNE_HELP = `Usage: switchyard prune [--dry-run] [--keep-previous N] [--branches-from FILE|-] [--now TIME] [--output text|json] DIR...

Deletes the fragment files that are no longer needed, and prints each one and why. It only
deletes a file that it parsed as RouteFragments and nothing else; a file it cannot parse, or
that also holds other objects, is reported and left alone. Always pruned:
  - fragments whose spec.expires has passed.
With options, also:
  --keep-previous N      stable releases older than the live one and the N before it (the
                         rollback targets), per service and environment; never the live
                         release, never a canary. "Live" is what render routes to: name the
                         folders render reads (fragments/ deploy/) and a newer release whose
                         spec.workload is gone is not live, as in render (files of other
                         objects are read, never deleted)
  --branches-from FILE   branch fragments whose git branch is not listed in FILE (one branch
                         per line; - reads stdin), for branches that were merged or deleted.
                         An empty list is an error, not "delete every branch"

Options:
  --dry-run              print what would be deleted, and delete nothing
  --now TIME             judge expiry at this RFC 3339 instant instead of the current time
  -q, --quiet            print errors and warnings only, not the summary
  -o, --output F         text (default) or json: the results document, with each file deleted
  -h, --help             show this help

Examples:
  switchyard prune --keep-previous 1 fragments/
  git ls-remote --heads origin | sed 's|.*refs/heads/||' | switchyard prune --branches-from - fragments/

Exit status: 0 pruned (warnings allowed), 1 an error, 2 usage, 70 an internal error (a bug).`;

export const EXPLAIN_HELP = `Usage: switchyard explain [--policy FILE] [--now TIME] PATH... --host HOST [-H 'name: value']... [--path /p] [--gateway G]

Renders the inputs as render does, then says, for a request, which VirtualService answers it,
which of its routes and why (which conditions matched, and why each earlier route did not), which
subsets get what share of it, and which fragment each came from. Matching is Envoy's: among the
VirtualServices bound to the gateway, the host picks one (exact host, else the longest *.
wildcard; any case, any port); then the first route whose match fits answers; headers match
exactly, by prefix or by regex (whole value).

Options:
  --host HOST            the request's host (authority), such as staging.shop.example.com, or
                         checkout for a call inside the mesh
  -H, --header 'N: V'    a request header (may repeat), such as -H 'x-branch: feature-jp12'
  --path /p              the request path (default /)
  -g, --gateway G        where the request arrives: a gateway as namespace/name, or mesh
                         (default: the first gateway other than mesh that a VirtualService for
                         the host is bound to, else mesh)
  --service NAME         only the VirtualService of this service
  -n, --namespace NS     only VirtualServices of this namespace
  --policy FILE          the RoutingPolicy (default: the one among the inputs)
  --now TIME             judge expiry at this RFC 3339 instant instead of the current time
  -o, --output F         text (default) or json (the results document, with the answers)
  -h, --help             show this help

Example:
  switchyard explain examples/render --host staging.shop.example.com -H 'x-branch: feature-jp12'
  switchyard explain examples/render --gateway mesh --host checkout -H 'x-environment: staging'

Exit status: 0 explained (also when no route answers), 1 the render failed, 2 usage, 70 an
internal error (a bug).`;

export const CHECK_HELP = `Usage: switchyard check [--policy FILE] [--now TIME] [--output text|markdown|json|sarif] [--rendered OUTPUT] [--quiet] PATH...

Validates without writing anything: renders the inputs as render does, reports every problem
render would, and then looks deeper at every VirtualService and DestinationRule of the result:
  - a route that never answers, because an earlier one takes every request it matches (a
    prefix or regex branch value that covers another branch's value; any route after a
    catch-all), and a catch-all that is not the last route                      (warning)
  - a subset that a route sends traffic to but the DestinationRule does not define  (error)
  - two VirtualServices, generated or hand-written, in any namespace, that claim one host on the
    mesh (IST0109: error) or at one gateway, or overlapping wildcards (warning)
  - a subset whose labels select no pod of the workloads in the input (judged only where the
    input holds Deployments, StatefulSets... of that namespace)                  (warning)
  - objects near or past the API server's ~1.5 MiB limit or the 256 KiB annotation limit of
    client-side kubectl apply                                          (warning, error past 1.5 MiB)
Inputs without RouteFragments or a RoutingPolicy are checked as they are.

With --rendered OUTPUT (a file or folder of rendered manifests, or - for stdin), check also
proves that OUTPUT holds the route of every live fragment of PATH..., matched by the route's
name (branch:<fragment>, environment:<env>, default:<env>) and subset, and each subset in a
DestinationRule: an error names each fragment whose route is missing. Use it after kustomize
build, kpt fn render or any step that should have run Switchyard: without the plugin they exit
0 with the routes silently missing.

Options:
  --policy FILE          the RoutingPolicy (default: the one among the inputs)
  --now TIME             judge expiry at this RFC 3339 instant instead of the current time
  -o, --output F         text (default: results on stderr only), or markdown: the results and a
                         table of the routes on stdout, for a CI step summary; json: the results
                         document; sarif: a SARIF 2.1.0 log for code scanning (errors and
                         warnings on their file and line; run from the repository's root)
  --rendered OUTPUT      prove that OUTPUT holds every live fragment's route (see above)
  -q, --quiet            print errors and warnings only
  -h, --help             show this help

Example:
  switchyard check --output markdown policy.yaml fragments/ deploy/ >> "$GITHUB_STEP_SUMMARY"
  kustomize build --enable-alpha-plugins --enable-exec . > out.yaml && switchyard check --rendered out.yaml policy.yaml fragments/
  switchyard check --output sarif policy.yaml fragments/ > switchyard.sarif

Exit status: 0 no error (warnings allowed), 1 an error result, 2 usage, 70 an internal error (a bug).`;

export const DIFF_HELP = `Usage: switchyard diff --base PATH [--base PATH]... [--policy FILE] [--now TIME] [--output text|markdown|json] PATH...

Says which requests change answer between two sets of fragments: the base (--base: the fragments
before the change, such as a checkout of the target branch) and PATH... (after it). Both are
rendered as render does. The requests compared are every host a VirtualService of either side
serves (each environment host; a service's own name), alone and with each header value a route
matches (each branch value), so each branch is tried with its environment's hosts and without.
Each change shows the host, the headers, the route and shares before → after, and the fragments
responsible. Regex branch values are not tried (no request is made up to match a pattern).

Options:
  --base PATH            a file or folder of the base (repeat for several)
  --policy FILE          the RoutingPolicy for both sides (default: the one among each side's inputs)
  --now TIME             judge expiry at this RFC 3339 instant instead of the current time
  -o, --output F         text (default: one line per request), markdown (a table for a pull-request
                         comment, one row per host and change), or json (the results document)
  -h, --help             show this help

Example:
  git worktree add /tmp/base origin/main
  switchyard diff --output markdown --base /tmp/base/policy.yaml --base /tmp/base/fragments policy.yaml fragments/

Exit status: 0 compared (whether or not anything changed), 1 a side did not render, 2 usage, 70 an
internal error (a bug).`;

export const CANARY_HELP = `Usage: switchyard canary FRAGMENT_FILE --prometheus URL [--steps 1,5,25,50] [--interval 5m]
         [--max-error-rate 0.01] [--max-latency-p99 500ms] [--min-requests 100]
         [--max-relative-error-rate 2] [--max-relative-latency-p99 2]
         [--requests-query Q] [--error-rate-query Q] [--latency-query Q] [--policy FILE]
         [--timeout 30s] [--output text|markdown|json] [--dry-run] [--until-done] [--now TIME]

One step of a canary, decided by metrics, with no controller. FRAGMENT_FILE holds the canary's
release fragment (spec.release.weight > 0). The live stable release of the same environment and
service among the fragments beside it (its folder) is the baseline. canary asks Prometheus for
both sides' request count, error rate and p99 latency over --interval, then:
  too few canary requests (< --min-requests)             hold: nothing changes
  over a limit, or clearly worse than the baseline       roll back: weight 0
  healthy                                                advance to the next of --steps; after
                                                         the last one, promote: weight dropped,
                                                         the fragment is the stable release
Prometheus unreachable, a query error, or an empty or NaN figure: could not decide, and nothing
changes. It writes only FRAGMENT_FILE's weight, keeping its comments and every other field.

Options:
  --prometheus URL              the Prometheus server (its HTTP API, /api/v1/query)
  --steps LIST                  canary weights, increasing, 1..100 (default 1,5,25,50)
  --interval D                  the window of every query, and the wait of --until-done (5m)
  --min-requests N              canary requests the interval needs before it is judged (100)
  --max-error-rate R            failed requests (5xx) over all, 0..1 or a percentage (0.01)
  --max-latency-p99 T           p99 request duration, such as 500ms or 1.5s (500ms)
  --max-relative-error-rate F   roll back when the canary's error rate is more than F times the
                                baseline's and the difference is significant (z >= 3) (2; 0: off)
  --max-relative-latency-p99 F  roll back when the canary's p99 is more than F times the
                                baseline's and 10% of --max-latency-p99 above it (2; 0: off)
  --requests-query Q            PromQL for the request count, instead of Istio's standard metric;
  --error-rate-query Q          {{service}}, {{namespace}}, {{subset}}, {{interval}} and
  --latency-query Q             {{label.NAME}} (the subset's labels) are filled in per side
  --policy FILE                 also check that the routes still render with the new weight (by
                                default the one RoutingPolicy in the folder, if there is one)
  --timeout D                   how long one query may take (30s)
  -o, --output F                text (default), markdown (a PR comment or CI step summary), or
                                json (one object per step; schema in docs/canary.md)
  --dry-run                     decide and print, write nothing
  --until-done                  repeat, waiting --interval between steps, until promoted, rolled
                                back or undecided
  --now TIME                    evaluate the queries and expiry at this RFC 3339 instant
  -h, --help                    show this help

Default queries (Istio's standard metrics, reporter="destination", the subset's version label):
  sum(increase(istio_requests_total{...}[5m]))
  (sum(rate(istio_requests_total{...,response_code=~"5.."}[5m])) or vector(0)) / sum(rate(...))
  histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{...}[5m])))

Example:
  switchyard canary fragments/checkout-v3.yaml --prometheus http://prometheus.istio-system:9090 \\
    --output markdown >> "$GITHUB_STEP_SUMMARY"

Exit status: 0 advanced, 3 promoted, 4 held, 5 rolled back, 6 could not decide (nothing
changed), 1 an error (the file or its folder), 2 usage, 70 an internal error (a bug).
Docs: docs/canary.md.`;
