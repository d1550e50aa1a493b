# Prometheus from Debian's package, for `make test-compose` where no image
# registry is reachable; users run the official image (PROMETHEUS_IMAGE).
# Like it: the entrypoint is the server (compose.yaml's command holds only
# flags), its data in /prometheus, and a wget for the healthcheck.
ARG BASE_IMAGE=payflow-test/debian:bookworm
FROM ${BASE_IMAGE}
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus wget \
    && apt-get clean && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /prometheus \
    && chown prometheus:prometheus /prometheus
WORKDIR /prometheus
USER prometheus
EXPOSE 9090
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml"]
