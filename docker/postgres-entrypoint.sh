#!/bin/sh
# First start: a cluster owned by POSTGRES_USER with the database POSTGRES_DB,
# reachable from the compose network with POSTGRES_HOST_AUTH_METHOD (the
# official image's variables). Then the server in the foreground (exec: it
# gets the SIGTERM of `docker stop`).
set -eu
user="${POSTGRES_USER:-postgres}"
database="${POSTGRES_DB:-$user}"
auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    initdb --username="$user" --auth-local=trust --auth-host="$auth" --encoding=UTF8 --no-instructions -D "$PGDATA" >/dev/null
    printf "listen_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
    printf "host all all all %s\n" "$auth" >>"$PGDATA/pg_hba.conf"
    if [ "$database" != "postgres" ]; then
        postgres --single -D "$PGDATA" -j postgres >/dev/null <<SQL
CREATE DATABASE "$database" OWNER "$user";
SQL
    fi
fi
exec "$@"
