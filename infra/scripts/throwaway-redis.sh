#!/usr/bin/env bash
# A throwaway Redis for tests, on a random loopback port, without persistence.
#   throwaway-redis.sh start DIR   start, print the URL
#   throwaway-redis.sh stop DIR    stop it
set -euo pipefail

action=${1:?usage: throwaway-redis.sh start|stop DIR}
dir=${2:?usage: throwaway-redis.sh start|stop DIR}

case "$action" in
start)
    command -v redis-server >/dev/null || { echo "throwaway-redis: redis-server not found (apt-get install redis-server)" >&2; exit 1; }
    mkdir -p "$dir"
    for _ in 1 2 3 4 5 6 7 8; do
        port=$(( 40000 + RANDOM % 20000 ))
        redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
            --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir" >/dev/null
        for _ in $(seq 1 50); do
            if redis-cli -p "$port" ping >/dev/null 2>&1; then
                echo "$port" >"$dir/port"
                echo "redis://127.0.0.1:$port"
                exit 0
            fi
            sleep 0.1
        done
        [ -f "$dir/redis.pid" ] && kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
    done
    echo "throwaway-redis: could not start redis-server; its log:" >&2
    cat "$dir/redis.log" >&2 || true
    exit 1
    ;;
stop)
    if [ -f "$dir/redis.pid" ]; then
        kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
        rm -f "$dir/redis.pid"
    fi
    ;;
*)
    echo "usage: throwaway-redis.sh start|stop DIR" >&2
    exit 2
    ;;
esac
