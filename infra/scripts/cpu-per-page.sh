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
. infra/scripts/solo-bench.sh
seconds=${1:-20}
log=$(mktemp -t kentro-cpu.XXXXXX)
start_solo_bench "$log" "$seconds" "${2:-0}"
# CPU ticks per command name, over every process now alive.
ticks() {
    for stat in /proc/[0-9]*/stat; do
        cat "$stat" 2>/dev/null || true
    done | python3 -c '
import sys, collections
user, system = collections.Counter(), collections.Counter()
for line in sys.stdin:
    name = line[line.index("(") + 1:line.rindex(")")]
    fields = line[line.rindex(")") + 2:].split()
    user[name] += int(fields[11])
    system[name] += int(fields[12])
for name in user:
    print(name, user[name], system[name])'
}
sleep 1
ticks >"$log.before"
start=$(date +%s.%N)
sleep $((seconds - 3))
ticks >"$log.after"
end=$(date +%s.%N)
wait
rate=$(solo_rate "$log")
python3 - "$log.before" "$log.after" "$rate" "$start" "$end" "$(getconf CLK_TCK)" <<'PY'
import sys
def read(path):
    out = {}
    for line in open(path):
        name, user, system = line.rsplit(" ", 2)
        out[name] = (int(user), int(system))
    return out
before, after = read(sys.argv[1]), read(sys.argv[2])
rate, start, end, hz = float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
requests = rate * (end - start)
groups = {"server": ("kentro",), "postgres": ("postgres",), "redis": ("redis-server",),
          "bench (clients, bare)": ("cases_page", "tokio-runtime-w")}
print(f"{rate:.0f} requests/s; CPU ms per request (user + kernel):")
totals = [0.0, 0.0]
for group, prefixes in groups.items():
    ms = [
        sum(after[n][k] - before.get(n, (0, 0))[k] for n in after if n.startswith(prefixes))
        / hz * 1000 / requests
        for k in (0, 1)
    ]
    totals = [t + m for t, m in zip(totals, ms)]
    print(f"  {group:24} {sum(ms):.3f} ({ms[0]:.3f} + {ms[1]:.3f})")
print(f"  {'total':24} {sum(totals):.3f} ({totals[0]:.3f} + {totals[1]:.3f})")
PY
rm -f "$log" "$log.before" "$log.after"
