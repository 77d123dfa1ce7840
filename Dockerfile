# syntax=docker/dockerfile:1
# The Switchyard KRM function image: the one bundle that `npm run build` makes (the same file the
# end-to-end tests run), on a distroless Node 24 (LTS) base, as nobody. The entry point is the
# function, so kpt (`image:` in a Kptfile, `kpt fn eval --image`) and kustomize (`container:`) run
# it with no arguments. test/image/ checks these promises on the built image; see docs/distribution.md.
#
#   docker build -t ghcr.io/switchyard-dev/switchyard:0.1.0 .
#   npm run image      # here, with no registry: podman, on local stand-ins for both bases

# Build stage: the bundle is plain JavaScript, so build it on the builder's own platform.
FROM --platform=$BUILDPLATFORM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/ scripts/
COPY src/ src/
COPY functions/ functions/
RUN npm run build

# Final stage: Node and the bundle; no npm, no shell, no node_modules, no sources.
FROM gcr.io/distroless/nodejs24-debian12:latest
LABEL org.opencontainers.image.title="switchyard" \
      org.opencontainers.image.description="KRM function: merge per-build RouteFragments into one Istio VirtualService and DestinationRule per service." \
      org.opencontainers.image.source="https://github.com/switchyard-dev/switchyard" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /app/dist/switchyard.cjs /app/dist/THIRD-PARTY-NOTICES.txt /switchyard/
COPY LICENSE /switchyard/
# nobody, by number, so that Kubernetes' runAsNonRoot can check it (kpt and kustomize also pass --user nobody).
USER 65534:65534
# A relative spec.fragmentsFrom folder resolves here: mount kustomize's fragments folder at /fragments.
WORKDIR /
ENTRYPOINT ["/nodejs/bin/node", "/switchyard/switchyard.cjs"]
