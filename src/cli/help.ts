// Every command's --help. Examples here are the ones docs/ and the examples/ folders use.
export const MAIN_HELP = `switchyard: merge per-build RouteFragments into one Istio VirtualService and
DestinationRule per service.

Usage:
  switchyard render [--policy FILE] PATH... | kubectl apply -f -
  switchyard fn < resource-list.yaml                 (the KRM function, for kpt and kustomize)
  switchyard kustomize-plugin CONFIG < stream.yaml   (the exec plugin, for kubectl kustomize)

Commands:
  render             print the merged routes and every other object that is not local config
  fn                 run as a KRM function: ResourceList on stdin, ResourceList on stdout
  kustomize-plugin   run as a kustomize exec plugin (also when called as RoutingPolicy)

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

export const FN_HELP = `Usage: switchyard fn [--now TIME]

The KRM function: reads a ResourceList (items, and a RoutingPolicy as functionConfig) on stdin and
writes it back with the generated VirtualServices and DestinationRules and with results. Objects it
does not own pass through byte for byte; RouteFragments stay, annotated
config.kubernetes.io/local-config: "true". New objects go to routes/<namespace>/<service>.yaml.

kpt:        kpt fn render --allow-exec   (Kptfile pipeline: exec: switchyard)
            kpt fn eval DIR --exec switchyard --fn-config policy.yaml
kustomize:  kustomize build --enable-alpha-plugins --enable-exec DIR
            (the policy under transformers:, annotated config.kubernetes.io/function: exec)

Options:
  --now TIME   judge expiry at this RFC 3339 instant instead of the current time
  -h, --help   show this help

Exit status: 0 (warnings allowed), 1 an error result, 2 usage.`;

export const PLUGIN_HELP = `Usage: switchyard kustomize-plugin CONFIG < stream.yaml

The kustomize exec plugin protocol, for kubectl kustomize --enable-alpha-plugins (which never runs
KRM exec functions). Install by linking the executable as
  $KUSTOMIZE_PLUGIN_HOME/switchyard.dev/v1alpha1/routingpolicy/RoutingPolicy
Called under that name, switchyard runs this command. CONFIG is the RoutingPolicy file; the
resources arrive as a YAML stream on stdin and leave on stdout.

Options:
  --now TIME   judge expiry at this RFC 3339 instant instead of the current time
  -h, --help   show this help`;
