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
. infra/scripts/solo-bench.sh
seconds=${1:-30}
target_dir=${CARGO_TARGET_DIR:-target}
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
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
KENTRO_BIN="$work/kentro" start_solo_bench "$work/bench.log" "$seconds" "${2:-0}"
callgrind_control -z >/dev/null
start=$(date +%s.%N)
sleep $((seconds - 3))
callgrind_control -d >/dev/null
end=$(date +%s.%N)
wait
rate=$(solo_rate "$work/bench.log")
profile=$(ls "$work"/callgrind.*.1 | head -1)
total=$(sed -nE 's/^summary: ([0-9]+)/\1/p' "$profile")
python3 -c "n = $rate * ($end - $start); print(f'{n:.0f} requests, {$total / n / 1e6:.3f} M instructions each; profile: $profile')"
