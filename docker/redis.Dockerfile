# Redis from Debian's package, for `make test-compose` where no image registry
# is reachable; users run the official image (REDIS_IMAGE, default redis:7).
# Behaves like it where compose.yaml relies on it: `redis-server` and
# `redis-cli` on PATH, data in /data, running as the redis user.
ARG BASE_IMAGE=payflow-test/debian:bookworm
FROM ${BASE_IMAGE}
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server \
    && apt-get clean && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /data /usr/local/etc/redis \
    && chown redis:redis /data
WORKDIR /data
USER redis
EXPOSE 6379
CMD ["redis-server"]
