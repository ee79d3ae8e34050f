#!/usr/bin/env bash
# Builds every plugin for wasm32-wasip2 and lays out an (unsigned) package
# per plugin in plugins/dist/<id>/ (the test plugin in plugins/dist-test/):
# plugin.toml with the component's SHA-256,
# and the component. `kentro plugin sign` signs one; `serve --demo` signs and
# installs them with the data directory's demo key.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! rustup target list --installed | grep -qx wasm32-wasip2; then
    rustup target add wasm32-wasip2
fi
# From inside plugins/, so that plugins/.cargo/config.toml applies.
(cd plugins && cargo build --quiet --release --target wasm32-wasip2)

target="${CARGO_TARGET_DIR:-plugins/target}"
for manifest in plugins/*/plugin.toml; do
    dir=$(dirname "$manifest")
    name=$(basename "$dir")
    wasm="$target/wasm32-wasip2/release/${name//-/_}.wasm"
    out="plugins/dist/$name"
    # The hostile plugin is for the sandbox tests, never for a deployment.
    [ "$name" = hostile ] && out="plugins/dist-test/hostile-1.0.0"
    mkdir -p "$out"
    cp "$wasm" "$out/$name.wasm"
    sha=$(sha256sum "$out/$name.wasm" | cut -d' ' -f1)
    sed "s/^sha256 = .*/sha256 = \"$sha\"/" "$manifest" > "$out/plugin.toml"
done
# A second version of the test plugin, for upgrade and rollback.
(cd plugins && KENTRO_PLUGIN_VERSION=1.1.0 cargo build --quiet --release --target wasm32-wasip2 -p hostile)
out="plugins/dist-test/hostile-1.1.0"
mkdir -p "$out"
cp "$target/wasm32-wasip2/release/hostile.wasm" "$out/hostile.wasm"
sha=$(sha256sum "$out/hostile.wasm" | cut -d' ' -f1)
sed -e "s/^sha256 = .*/sha256 = \"$sha\"/" -e 's/^version = .*/version = "1.1.0"/' \
    plugins/hostile/plugin.toml > "$out/plugin.toml"
echo "plugins built into plugins/dist/"
