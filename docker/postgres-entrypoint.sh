#!/bin/sh
# First start: a cluster owned by POSTGRES_USER with the password POSTGRES_PASSWORD
# and the database POSTGRES_DB, reachable from the compose network with
# POSTGRES_HOST_AUTH_METHOD (default scram-sha-256: a password for every TCP
# connection) — the official image's variables. Then the server in the
# foreground (exec: it gets the SIGTERM of `docker stop`).
set -eu
user="${POSTGRES_USER:-postgres}"
database="${POSTGRES_DB:-$user}"
auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ "$auth" != trust ] && [ -z "${POSTGRES_PASSWORD:-}" ]; then
        # As the official image: no server whose owner has no password.
        echo "postgres-entrypoint: POSTGRES_PASSWORD is not set (make up generates it: scripts/compose-secrets)" >&2
        exit 1
    fi
    pwfile="$(mktemp)"
    # The password from a file, never on a command line.
    printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile"
    pwoption="--pwfile=$pwfile"
    [ -n "${POSTGRES_PASSWORD:-}" ] || pwoption=""
    initdb --username="$user" $pwoption --auth-local=trust --auth-host="$auth" --encoding=UTF8 --no-instructions -D "$PGDATA" >/dev/null
    rm -f "$pwfile"
    printf "listen_addresses = '*'\npassword_encryption = 'scram-sha-256'\n" >>"$PGDATA/postgresql.conf"
    printf "host all all all %s\n" "$auth" >>"$PGDATA/pg_hba.conf"
    if [ "$database" != "postgres" ]; then
        postgres --single -D "$PGDATA" -j postgres >/dev/null <<SQL
CREATE DATABASE "$database" OWNER "$user";
SQL
    fi
fi
exec "$@"
