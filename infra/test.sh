#!/usr/bin/env bash
# The test command: everything a change must pass, on a fresh machine too.
# Installs what is missing, starts a throwaway PostgreSQL 15 and Redis on
# random loopback ports, checks formatting, lints and architecture
# invariants, builds, runs every test with cargo nextest, and stops the
# services on exit, pass or fail.
set -euo pipefail
cd "$(dirname "$0")/.."

infra/scripts/install-test-deps.sh

echo "== formatting"
cargo fmt --all -- --check
cargo fmt --all --manifest-path plugins/Cargo.toml -- --check

echo "== architecture invariants"
# The domain crate stays free of I/O and frameworks.
for forbidden in sea-orm axum async-graphql redis wasmtime tokio; do
    if cargo tree -p kentro-domain -e normal -i "$forbidden" >/dev/null 2>&1; then
        echo "kentro-domain must not depend on $forbidden:" >&2
        cargo tree -p kentro-domain -e normal -i "$forbidden" >&2
        exit 1
    fi
done
# Only the server crate speaks HTTP; the store knows no GraphQL.
for forbidden in axum async-graphql; do
    if cargo tree -p kentro-store -e normal -i "$forbidden" >/dev/null 2>&1; then
        echo "kentro-store must not depend on $forbidden" >&2
        exit 1
    fi
done
if cargo tree -p kentro-api -e normal -i axum >/dev/null 2>&1; then
    echo "kentro-api must not depend on axum" >&2
    exit 1
fi
# The workspace is a client of the contract: it reaches data only through
# the API, never the store.
if cargo tree -p kentro-web -e normal --depth 1 | grep -q "kentro-store"; then
    echo "kentro-web must not depend on kentro-store" >&2
    exit 1
fi
# The plugin host knows neither HTTP nor GraphQL.
for forbidden in axum async-graphql; do
    if cargo tree -p kentro-plugin-host -e normal -i "$forbidden" >/dev/null 2>&1; then
        echo "kentro-plugin-host must not depend on $forbidden" >&2
        exit 1
    fi
done

echo "== plugins (wasm32-wasip2)"
infra/build-plugins.sh
cargo clippy --quiet --release --target wasm32-wasip2 --manifest-path plugins/Cargo.toml -- -D warnings

echo "== lints"
cargo clippy --workspace --all-targets -- -D warnings

echo "== build"
cargo build --workspace --all-targets

echo "== tests (with a throwaway PostgreSQL and Redis)"
infra/scripts/with-services.sh cargo nextest run --workspace --no-fail-fast
