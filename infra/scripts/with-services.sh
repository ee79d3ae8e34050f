#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL and Redis, named to it in
# KENTRO_TEST_POSTGRES_URL and KENTRO_TEST_REDIS_URL, and stops both when it
# ends, whether it passes or fails.
#   with-services.sh COMMAND [ARGS...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

services=$(mktemp -d -t kentro-services.XXXXXX)
cleanup() {
    "$here/throwaway-postgres.sh" stop "$services/postgres" || true
    "$here/throwaway-redis.sh" stop "$services/redis" || true
    rm -rf "$services"
}
trap cleanup EXIT

KENTRO_TEST_POSTGRES_URL=$("$here/throwaway-postgres.sh" start "$services/postgres")
KENTRO_TEST_REDIS_URL=$("$here/throwaway-redis.sh" start "$services/redis")
export KENTRO_TEST_POSTGRES_URL KENTRO_TEST_REDIS_URL
echo "postgres: $KENTRO_TEST_POSTGRES_URL"
echo "redis:    $KENTRO_TEST_REDIS_URL"

"$@"
