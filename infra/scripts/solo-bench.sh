# Sourced by the scripts that watch one target of the `cases_page` bench:
#   start_solo_bench LOG SECONDS TARGET
# runs the bench binary last built against throwaway services, one target
# alone for SECONDS (with the caller's environment, e.g. KENTRO_BIN), its
# output in LOG, and returns once the target runs; `wait` waits for its end.
start_solo_bench() {
    local log=$1 seconds=$2 target=$3 bench
    bench=$(ls -t "${CARGO_TARGET_DIR:-target}"/release/deps/cases_page-* 2>/dev/null | grep -v '\.d$' | head -1)
    [ -n "$bench" ] || { echo "no cases_page bench binary: cargo bench -p kentro --bench cases_page --no-run" >&2; exit 1; }
    CASES_PAGE_SOLO=$seconds CASES_PAGE_TARGET=$target \
        infra/scripts/with-services.sh "$bench" >"$log" 2>&1 &
    local pid=$!
    until grep -q "^solo:" "$log" 2>/dev/null; do
        kill -0 $pid 2>/dev/null || { cat "$log" >&2; exit 1; }
        sleep 0.2
    done
}

# The requests per second the bench reported in LOG.
solo_rate() {
    sed -nE 's/^solo .*: ([0-9.]+) requests\/s/\1/p' "$1"
}
