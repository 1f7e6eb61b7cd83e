#!/bin/sh
# A private PostgreSQL cluster for tests and trying the central server out:
#   scripts/postgres-private.sh start DIR PORT   initdb DIR (if new), start it on
#                                                127.0.0.1:PORT with its socket in DIR, trust
#                                                auth, database `hotspotd`; prints DATABASE_URL
#   scripts/postgres-private.sh stop DIR         stop it (fast shutdown)
# PostgreSQL refuses to run as root: when run as root, the binaries run as user `postgres`
# (runuser) and DIR is given to that user. Binaries: Debian's /usr/lib/postgresql/*/bin, or
# PG_BIN, or the PATH.
set -eu

usage() { echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2; }

bin_dir() {
    if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return; fi
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$d/initdb" ]; then echo "$d"; return; fi
    done
    if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return; fi
    echo "$0: no PostgreSQL server binaries found (apt-get install postgresql, or set PG_BIN)" >&2
    exit 1
}

as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

[ $# -ge 2 ] || usage
cmd=$1; dir=$2
BIN=$(bin_dir)

case "$cmd" in
start)
    [ $# -eq 3 ] || usage
    port=$3
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; chmod 700 "$dir"; fi
    if [ ! -f "$dir/PG_VERSION" ]; then
        as_owner "$BIN/initdb" -D "$dir" -U postgres -A trust -E UTF8 --no-locale >"$dir.initdb.log" 2>&1 || {
            cat "$dir.initdb.log" >&2; exit 1; }
    fi
    as_owner "$BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    if ! as_owner "$BIN/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'hotspotd'" postgres | grep -q 1; then
        as_owner "$BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres hotspotd
    fi
    echo "postgres://postgres@127.0.0.1:$port/hotspotd"
    ;;
stop)
    dir=$(cd "$dir" && pwd)
    as_owner "$BIN/pg_ctl" -D "$dir" -m fast -w stop >/dev/null
    ;;
*) usage ;;
esac
