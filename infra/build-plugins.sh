#!/usr/bin/env bash
# Builds every plugin for wasm32-wasip2 and lays out an (unsigned) package
# per plugin in plugins/dist/<id>/: plugin.toml with the component's SHA-256,
# and the component. `kentro plugin sign` signs one; `serve --demo` signs and
# installs them with the data directory's demo key.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! rustup target list --installed | grep -qx wasm32-wasip2; then
    rustup target add wasm32-wasip2
fi
cargo build --quiet --release --target wasm32-wasip2 --manifest-path plugins/Cargo.toml

target="${CARGO_TARGET_DIR:-plugins/target}"
for manifest in plugins/*/plugin.toml; do
    dir=$(dirname "$manifest")
    name=$(basename "$dir")
    wasm="$target/wasm32-wasip2/release/${name//-/_}.wasm"
    out="plugins/dist/$name"
    mkdir -p "$out"
    cp "$wasm" "$out/$name.wasm"
    sha=$(sha256sum "$out/$name.wasm" | cut -d' ' -f1)
    sed "s/^sha256 = .*/sha256 = \"$sha\"/" "$manifest" > "$out/plugin.toml"
done
echo "plugins built into plugins/dist/"
