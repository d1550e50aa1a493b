# The `payflow` binary in a small Debian image; compose.yaml runs its subcommands.
#
#   docker build -t payflow:local .                 # users: compiles PayFlow (stage build)
#   docker run --rm payflow:local payflow --help
#
# Stages: `build` compiles a release binary with the Swift toolchain image;
# `runtime-base` is what every runtime image shares (the C libraries, the
# user, db/, the healthcheck); `prebuilt` takes a binary built outside
# (`make test-compose` stages CI's debug build and its Swift runtime libraries
# into a context of its own, so CI does not compile Swift twice); `runtime`,
# the last and default stage, is the user's image.
#
# No `# syntax=` line: it would make BuildKit fetch a frontend image from a
# registry, which is not reachable where the tests run; the built-in frontend
# has everything used here.

# MARK: - Build
# The dependencies need swift-tools-version 6.2 (swift-log, hummingbird, ...):
# a 6.0 or 6.1 toolchain cannot resolve them.
ARG SWIFT_IMAGE=swift:6.2-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim
FROM ${SWIFT_IMAGE} AS build

# Headers and pkg-config files of the C libraries (CHiredis, CLibpq).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libhiredis-dev libpq-dev pkg-config \
    && apt-get clean && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .
# The SwiftPM cache survives between builds; the binary leaves it for /out.
# --static-swift-stdlib: the runtime image needs no Swift runtime libraries.
# A local Package.resolved (git-ignored) may pin commits of a package mirror that
# GitHub does not have: resolve afresh.
RUN --mount=type=cache,target=/src/.build \
    rm -f Package.resolved \
    && swift build -c release --product payflow --static-swift-stdlib \
    && mkdir -p /out/bin \
    && bin="$(swift build -c release --show-bin-path)" \
    && cp "$bin/payflow" /out/bin/payflow \
    && cp -R "$bin"/payflow_*.resources /out/bin/

# MARK: - Runtime base
FROM ${RUNTIME_IMAGE} AS runtime-base

# libhiredis0.14 / libpq5: the shared libraries the binary links;
# curl: the healthchecks (GET /health).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libhiredis0.14 libpq5 ca-certificates curl tzdata \
    && apt-get clean && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin payflow

# `payflow migrate` reads its migrations from db/ under the working directory.
WORKDIR /app
COPY db/ ./db/

# Every long-running subcommand serves /health on HTTP_PORT (200 when its Redis
# and PostgreSQL answer); one-shot commands (migrate, reports) are not checked.
ENV HTTP_HOST=0.0.0.0
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=5 \
    CMD test -z "$HTTP_PORT" || curl -fsS -o /dev/null "http://127.0.0.1:$HTTP_PORT/health"
USER payflow
CMD ["payflow", "--help"]

# MARK: - Prebuilt
# Context: bin/ (payflow and its payflow_*.resources bundles, which serve the
# OpenAPI documents and must sit next to the binary), lib/ (the Swift runtime
# libraries a non-static build links, from ldd), db/.
FROM runtime-base AS prebuilt
COPY lib/ /usr/local/lib/swift/
COPY bin/ /usr/local/bin/
USER root
RUN echo /usr/local/lib/swift > /etc/ld.so.conf.d/swift.conf && ldconfig
USER payflow

# MARK: - Runtime (default)
FROM runtime-base AS runtime
COPY --from=build /out/bin/ /usr/local/bin/
