#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests, on a random loopback port.
#   throwaway-postgres.sh start DIR   initdb into DIR, start, print the superuser URL
#   throwaway-postgres.sh stop DIR    stop it (fast shutdown); DIR is left for the caller
# initdb refuses to run as root, so as root the cluster belongs to the
# unprivileged user kentro-test (created when missing).
set -euo pipefail

action=${1:?usage: throwaway-postgres.sh start|stop DIR}
dir=${2:?usage: throwaway-postgres.sh start|stop DIR}

bindir=""
for candidate in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    if [ -x "$candidate/pg_ctl" ]; then bindir=$candidate; break; fi
done
[ -n "$bindir" ] || { echo "throwaway-postgres: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u kentro-test -- "$@"
    else
        "$@"
    fi
}

case "$action" in
start)
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
        id kentro-test >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin kentro-test
        chown kentro-test "$dir"
        # Temporary folders are often 0700: let kentro-test traverse down to DIR.
        ancestor=$(dirname "$(realpath "$dir")")
        while [ "$ancestor" != / ]; do
            [ -n "$(find "$ancestor" -maxdepth 0 -perm -o+x)" ] || chmod o+x "$ancestor"
            ancestor=$(dirname "$ancestor")
        done
    fi
    as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    for _ in 1 2 3 4 5 6 7 8; do
        port=$(( 20000 + RANDOM % 20000 ))
        if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 30 start \
            -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
            >/dev/null 2>&1; then
            echo "$port" >"$dir/port"
            # The roles a deployment has (see README): kentro_owner owns the
            # databases and runs migrations; kentro_server is what the server
            # logs in as, a member of kentro_app, the group the migrations
            # grant to, never an owner and never allowed to bypass RLS.
            "$bindir/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE ROLE kentro_owner LOGIN CREATEDB;
CREATE ROLE kentro_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
CREATE ROLE kentro_server LOGIN NOSUPERUSER NOBYPASSRLS IN ROLE kentro_app;
SQL
            echo "postgres://postgres@127.0.0.1:$port/postgres"
            exit 0
        fi
    done
    echo "throwaway-postgres: could not start PostgreSQL; its log:" >&2
    cat "$dir/postgres.log" >&2 || true
    exit 1
    ;;
stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
*)
    echo "usage: throwaway-postgres.sh start|stop DIR" >&2
    exit 2
    ;;
esac
