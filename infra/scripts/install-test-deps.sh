#!/usr/bin/env bash
# Installs what the test command needs and the machine lacks: PostgreSQL 15,
# Redis, Chromium and ChromeDriver from Debian's packages, axe-core from npm,
# the wasm32-wasip2 target, cargo-nextest.
# Installs nothing that is already there.
set -euo pipefail

missing=()
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
# The workspace's journeys run in a real browser.
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "installing ${missing[*]} with apt-get"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # Debian's packages start their own services; the tests start throwaway ones.
    if command -v service >/dev/null; then
        $sudo service postgresql stop >/dev/null 2>&1 || true
        $sudo service redis-server stop >/dev/null 2>&1 || true
    fi
fi

if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx wasm32-wasip2; then
    rustup target add wasm32-wasip2
fi

if ! cargo nextest --version >/dev/null 2>&1; then
    cargo install cargo-nextest --locked
fi

# axe-core, the accessibility checker the browser tests load into each page,
# at the version package-lock.json pins.
if [ ! -f tests/browser/node_modules/axe-core/axe.min.js ]; then
    npm ci --prefix tests/browser --no-audit --no-fund
fi
