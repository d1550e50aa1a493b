# PostgreSQL 15 from Debian's packages, for `make test-compose` where no image
# registry is reachable; users run the official image (POSTGRES_IMAGE, default
# postgres:16). postgres-entrypoint.sh does the part of the official image's
# entrypoint compose.yaml relies on: POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB and
# POSTGRES_HOST_AUTH_METHOD on first start, data in /var/lib/postgresql/data.
ARG BASE_IMAGE=payflow-test/debian:bookworm
FROM ${BASE_IMAGE}
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15 \
    && apt-get clean && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
    && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    PGDATA=/var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
USER postgres
EXPOSE 5432
ENTRYPOINT ["/usr/local/bin/postgres-entrypoint.sh"]
CMD ["postgres"]
