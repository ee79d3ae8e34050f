#!/usr/bin/env bash
# The benchmarks: release builds against a throwaway PostgreSQL and Redis.
# Each prints its figures side by side, measured in the same run; they are
# never pass/fail tests (shared machines are noisy).
set -euo pipefail
cd "$(dirname "$0")/.."
infra/scripts/install-test-deps.sh
# No separate `cargo build --release`: cargo builds the `kentro` binary the
# benchmarks run (CARGO_BIN_EXE_kentro) itself, with the benches' features,
# and a plain release build compiles Kentro's own crates a second time
# under other features (about ten minutes on 2 cores).
for bench in rls_overhead cases_page duplicate_search national_dashboard workspace_pages; do
    infra/scripts/with-services.sh cargo bench -p kentro --bench "$bench"
done
infra/build-plugins.sh
cargo bench -p kentro-plugin-host --bench sandbox
