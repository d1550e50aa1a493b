# syntax=docker/dockerfile:1
# The `payflow` binary in a small Debian image; compose.yaml runs its subcommands.
#
#   docker build -t payflow:local .
#   docker run --rm payflow:local payflow --help

# MARK: - Build
# The dependencies need swift-tools-version 6.2 (swift-log, hummingbird, ...):
# a 6.0 or 6.1 toolchain cannot resolve them.
ARG SWIFT_IMAGE=swift:6.2-bookworm
FROM ${SWIFT_IMAGE} AS build

# Headers and pkg-config files of the C libraries (CHiredis, CLibpq).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libhiredis-dev libpq-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .
# The SwiftPM cache survives between builds; the binary leaves it for /out.
# --static-swift-stdlib: the runtime image needs no Swift runtime libraries.
# A local Package.resolved (git-ignored) may pin commits of a package mirror that
# GitHub does not have: resolve afresh.
RUN --mount=type=cache,target=/src/.build \
    rm -f Package.resolved \
    && swift build -c release --product payflow --static-swift-stdlib \
    && mkdir -p /out \
    && cp "$(swift build -c release --show-bin-path)/payflow" /out/payflow \
    && cp -R "$(swift build -c release --show-bin-path)/payflow_PayFlowGeneratorAPI.resources" /out/ \
    && cp -R "$(swift build -c release --show-bin-path)/payflow_PayFlowAnalyticsAPI.resources" /out/

# MARK: - Runtime
FROM debian:bookworm-slim

# libhiredis0.14 / libpq5: the shared libraries the binary links;
# curl: the compose healthchecks (GET /health).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libhiredis0.14 libpq5 ca-certificates curl tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin payflow

# `payflow migrate` reads its migrations from db/ under the working directory.
WORKDIR /app
COPY --from=build /out/payflow /usr/local/bin/payflow
# The generator and analytics serve their OpenAPI documents from these bundles, found next to the binary.
COPY --from=build /out/payflow_PayFlowGeneratorAPI.resources /usr/local/bin/payflow_PayFlowGeneratorAPI.resources
COPY --from=build /out/payflow_PayFlowAnalyticsAPI.resources /usr/local/bin/payflow_PayFlowAnalyticsAPI.resources
COPY db/ ./db/

USER payflow
ENV HTTP_HOST=0.0.0.0
CMD ["payflow", "--help"]
