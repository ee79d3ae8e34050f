#!/usr/bin/env bash
# Where the CPU of one request goes, at full speed: the milliseconds of CPU
# per request that the server, PostgreSQL, Redis and the load generator
# each spend while one target of the `cases_page` bench runs alone. The
# machine's two cores are shared by all four, so a request's total decides
# the rate; this tells which process to make cheaper.
#   cpu-per-page.sh [SECONDS] [TARGET]
# TARGET as in tests/benches/cases_page.rs: 0 the page (default), 1 the bare
# handler (its server runs inside the bench binary), 2 `{ me }`.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-20}
target_dir=${CARGO_TARGET_DIR:-target}
bench=$(ls -t "$target_dir"/release/deps/cases_page-* 2>/dev/null | grep -v '\.d$' | head -1)
[ -n "$bench" ] || { echo "no cases_page bench binary: cargo bench -p kentro --bench cases_page --no-run" >&2; exit 1; }
log=$(mktemp -t kentro-cpu.XXXXXX)
CASES_PAGE_SOLO=$seconds CASES_PAGE_TARGET=${2:-0} \
    infra/scripts/with-services.sh "$bench" >"$log" 2>&1 &
bench_pid=$!
until grep -q "^solo:" "$log" 2>/dev/null; do
    kill -0 $bench_pid 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.2
done
# CPU ticks per command name, over every process now alive.
ticks() {
    for stat in /proc/[0-9]*/stat; do
        cat "$stat" 2>/dev/null || true
    done | python3 -c '
import sys, collections
total = collections.Counter()
for line in sys.stdin:
    name = line[line.index("(") + 1:line.rindex(")")]
    fields = line[line.rindex(")") + 2:].split()
    total[name] += int(fields[11]) + int(fields[12])
for name, n in total.items():
    print(name, n)'
}
sleep 1
ticks >"$log.before"
start=$(date +%s.%N)
sleep $((seconds - 3))
ticks >"$log.after"
end=$(date +%s.%N)
wait
rate=$(sed -nE 's/^solo .*: ([0-9.]+) requests\/s/\1/p' "$log")
python3 - "$log.before" "$log.after" "$rate" "$start" "$end" "$(getconf CLK_TCK)" <<'PY'
import sys
def read(path):
    out = {}
    for line in open(path):
        name, n = line.rsplit(" ", 1)
        out[name] = int(n)
    return out
before, after = read(sys.argv[1]), read(sys.argv[2])
rate, start, end, hz = float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
requests = rate * (end - start)
groups = {"server": ("kentro",), "postgres": ("postgres",), "redis": ("redis-server",),
          "bench (clients, bare)": ("cases_page", "tokio-runtime-w")}
print(f"{rate:.0f} requests/s; CPU ms per request:")
total = 0.0
for group, prefixes in groups.items():
    used = sum(after[n] - before.get(n, 0) for n in after if n.startswith(prefixes))
    ms = used / hz * 1000 / requests
    total += ms
    print(f"  {group:24} {ms:.3f}")
print(f"  {'total':24} {total:.3f}")
PY
rm -f "$log" "$log.before" "$log.after"
