#!/usr/bin/env bash
# The server's instructions per request on the case page, counted by
# callgrind: deterministic where requests per second on a shared machine
# are not, so two builds compare within a percent. Not a benchmark of
# speed (cache misses and the database do not show), a check of the
# server's own work.
#   instructions-per-page.sh [SECONDS] [TARGET]
# TARGET as in tests/benches/cases_page.rs: 0 the page (default), 2 `{ me }`.
# Runs the `cases_page` bench binary last built (`cargo bench -p kentro
# --bench cases_page --no-run`) with the server under valgrind. Background
# jobs (the sealer, the indicators' refresh) run on timers, so their share
# is larger here than at full speed.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-30}
target_dir=${CARGO_TARGET_DIR:-target}
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
bench=$(ls -t "$target_dir"/release/deps/cases_page-* 2>/dev/null | grep -v '\.d$' | head -1)
[ -n "$bench" ] || { echo "no cases_page bench binary: cargo bench -p kentro --bench cases_page --no-run" >&2; exit 1; }
work=$(mktemp -d -t kentro-callgrind.XXXXXX)
chmod 755 "$work"
cp "$target_dir/release/kentro" "$work/kentro-real"
# The harness clears the server's environment, so the wrapper names its paths.
cat >"$work/kentro" <<WRAP
#!/bin/bash
if [ "\$1" = serve ]; then
  exec valgrind --tool=callgrind --callgrind-out-file=$work/callgrind.%p "$work/kentro-real" "\$@"
fi
exec "$work/kentro-real" "\$@"
WRAP
chmod +x "$work/kentro"
KENTRO_BIN="$work/kentro" CASES_PAGE_SOLO=$seconds CASES_PAGE_TARGET=${2:-0} \
    infra/scripts/with-services.sh "$bench" >"$work/bench.log" 2>&1 &
bench_pid=$!
until grep -q "^solo:" "$work/bench.log" 2>/dev/null; do
    kill -0 $bench_pid 2>/dev/null || { cat "$work/bench.log" >&2; exit 1; }
    sleep 0.2
done
callgrind_control -z >/dev/null
start=$(date +%s.%N)
sleep $((seconds - 3))
callgrind_control -d >/dev/null
end=$(date +%s.%N)
wait
rate=$(sed -nE 's/^solo .*: ([0-9.]+) requests\/s/\1/p' "$work/bench.log")
profile=$(ls "$work"/callgrind.*.1 | head -1)
total=$(sed -nE 's/^summary: ([0-9]+)/\1/p' "$profile")
python3 -c "n = $rate * ($end - $start); print(f'{n:.0f} requests, {$total / n / 1e6:.3f} M instructions each; profile: $profile')"
