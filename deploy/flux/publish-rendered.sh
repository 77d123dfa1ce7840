#!/bin/sh
# publish-rendered.sh BRANCH PATH...
#
# Flux's kustomize-controller cannot run KRM functions or plugins, so render in CI and let Flux
# apply the result: renders PATH... (fragments, the RoutingPolicy, other manifests) with
# `switchyard render`, proves with `switchyard check --rendered` that every live fragment's route
# is in it, and publishes it as rendered.yaml, the only file on BRANCH of the remote `origin`
# (a branch of rendered manifests that Flux's GitRepository follows). Run it from a clone of the
# repository that holds the fragments, after `git fetch`; it never touches the working tree.
#
# Each commit on BRANCH says which source commit it was rendered from. When nothing changed, it
# pushes nothing. When another pipeline pushed BRANCH first, the push is refused; the script
# fetches, renders onto the new tip and tries again (the render does not depend on the old tip).
# Needs: git, switchyard on PATH (or SWITCHYARD=path), a committer identity (GIT_AUTHOR_NAME...).
set -eu

if [ $# -lt 2 ]; then
  echo "usage: publish-rendered.sh BRANCH PATH..." >&2
  exit 2
fi
branch=$1
shift
switchyard=${SWITCHYARD:-switchyard}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$switchyard" render --quiet "$@" > "$work/rendered.yaml"
"$switchyard" check --quiet --rendered "$work/rendered.yaml" "$@"

source=$(git rev-parse --short HEAD)
blob=$(git hash-object -w "$work/rendered.yaml")
tree=$(printf '100644 blob %s\trendered.yaml\n' "$blob" | git mktree)

for attempt in 1 2 3 4 5; do
  parent=
  if git fetch --quiet origin "+refs/heads/$branch:refs/switchyard/$branch" 2>/dev/null; then
    parent=$(git rev-parse "refs/switchyard/$branch")
    if [ "$(git rev-parse "$parent^{tree}")" = "$tree" ]; then
      echo "$branch already holds the routes rendered from $source; nothing to push."
      exit 0
    fi
  fi
  commit=$(git commit-tree "$tree" ${parent:+-p "$parent"} -m "Routes rendered by switchyard from $source")
  if git push --quiet origin "$commit:refs/heads/$branch"; then
    echo "pushed $commit to $branch: the routes rendered from $source."
    exit 0
  fi
  echo "push to $branch refused (attempt $attempt); fetching and trying again." >&2
  sleep "$attempt"
done
echo "could not push to $branch after 5 attempts." >&2
exit 1
