// Every command's --help. Examples here are the ones docs/ and the examples/ folders use.
export const MAIN_HELP = `switchyard: merge per-build RouteFragments into one Istio VirtualService and
DestinationRule per service.

Usage:
  switchyard render [--policy FILE] PATH... | kubectl apply -f -
  switchyard fn < resource-list.yaml                 (the KRM function, for kpt and kustomize)
  switchyard kustomize-plugin CONFIG < stream.yaml   (the exec plugin, for kubectl kustomize)
  switchyard apply --owner deployment/NAME FILE|-    (cluster mode: a fragment owned by its Deployment)
  switchyard reconcile --policy FILE [-n NS | -A] [--watch]   (cluster mode: fragments -> routes)

Commands:
  render             print the merged routes and every other object that is not local config
  fn                 run as a KRM function: ResourceList on stdin, ResourceList on stdout
  kustomize-plugin   run as a kustomize exec plugin (also when called as RoutingPolicy)
  apply              create or update RouteFragments in the cluster, owned by a Deployment
  reconcile          merge the cluster's RouteFragments and write the routes that changed

Options:
  -h, --help         show help (also: switchyard COMMAND --help)
  -v, --version      show the version

With no command and a ResourceList on stdin, switchyard runs as the KRM function.
Exit status: 0 success (warnings allowed), 1 an error result, 2 a usage error.
Colour on a terminal; NO_COLOR=1 turns it off.
Docs: README.md and docs/ in the package.`;

export const RENDER_HELP = `Usage: switchyard render [--policy FILE] [--now TIME] [--quiet] PATH...

Reads RouteFragments, a RoutingPolicy and any other objects from files, folders (every
*.yaml and *.yml below them, sorted) and - (standard input), merges the fragments into one
VirtualService and one DestinationRule per namespace and service, and prints, as YAML, every
object that is not local config: the generated objects and the rest of the input (Deployments,
Services...). RouteFragments and the RoutingPolicy are left out. Results go to stderr.

Options:
  --policy FILE   the RoutingPolicy (default: the one RoutingPolicy among the inputs)
  --now TIME      judge expiry at this RFC 3339 instant instead of the current time
  -q, --quiet     print errors and warnings only, not the info results
  -h, --help      show this help

Example:
  switchyard render --policy policy.yaml fragments/ deploy/ | kubectl apply -f -

Exit status: 0 rendered (warnings allowed), 1 an error result (nothing printed), 2 usage.`;

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

export const RECONCILE_HELP = `Usage: switchyard reconcile --policy FILE [-n NAMESPACE | -A] [--dry-run] [--watch]
                           [--kubeconfig PATH] [--lease [NAMESPACE/]NAME] [--now TIME] [--quiet]

Cluster mode. Lists the RouteFragments of a namespace (and its Deployments, for spec.workload),
merges them with the same rules as render, and writes each service's VirtualService and
DestinationRule only where they changed, make-before-break: first the DestinationRule with the old
and new subsets, then the VirtualService, then the DestinationRule without the retired subsets.
Routes of a service with no live fragment left are deleted. Every write carries the
resourceVersion it was computed from; on a conflict it reads again, renders again and retries
with jittered backoff, so reconcilers running at once never lose a fragment.
Needs the package @kubernetes/client-node 1.x next to switchyard.

Options:
  --policy FILE        the RoutingPolicy (in a cluster: mounted from a ConfigMap; re-read each time)
  -n, --namespace NS   the namespace (default: the kubeconfig context's, else default)
  -A, --all-namespaces every namespace with RouteFragments or with routes Switchyard made
  --dry-run            print the writes it would make, one per line, and write nothing
  -w, --watch          keep reconciling on every change (a controller); replicas elect a leader
                       through a coordination.k8s.io Lease; stops on SIGTERM or SIGINT
  --lease [NS/]NAME    the Lease for --watch (default: switchyard-reconcile in the namespace, or
                       in the context's namespace with -A)
  --kubeconfig PATH    the kubeconfig (default: $KUBECONFIG, ~/.kube/config, or in-cluster)
  --now TIME           judge expiry at this RFC 3339 instant instead of the current time
  -q, --quiet          print errors and warnings only, not the info results
  -h, --help           show this help

Example:
  switchyard reconcile -n shop --policy policy.yaml --dry-run

Exit status: 0 reconciled (warnings allowed), 1 an error result (nothing written for that
namespace) or a cluster failure, 2 usage. Docs: docs/cluster.md.`;

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
failure, 2 usage. Docs: docs/cluster.md.`;
