#!/usr/bin/env bash
# Builds Aperture (Lightning Labs' Go L402 reverse proxy) from the Go module proxy for the
# side-by-side gateway benchmark, and caches the binary outside the repository:
#   ${FAREBOX_CACHE:-~/.cache/farebox}/bin/aperture-<version>/aperture
# Never part of farebox: the benchmark only runs it as a peer.
set -euo pipefail
VERSION="${APERTURE_VERSION:-v0.5.0}"
CACHE="${FAREBOX_CACHE:-$HOME/.cache/farebox}"
OUT="$CACHE/bin/aperture-$VERSION"
if [ -x "$OUT/aperture" ]; then
  echo "$OUT/aperture"
  exit 0
fi
command -v go >/dev/null || { echo "build-aperture: Go is required" >&2; exit 1; }
echo "build-aperture: building Aperture $VERSION (first time, ~5 min)…" >&2
DIR=$(go mod download -json "github.com/lightninglabs/aperture@$VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
WORK="$CACHE/build/aperture-$VERSION"
rm -rf "$WORK" && mkdir -p "$(dirname "$WORK")" && cp -r "$DIR" "$WORK" && chmod -R u+w "$WORK"
TMP="$OUT.tmp.$$"
mkdir -p "$TMP"
(cd "$WORK" && go build -trimpath -o "$TMP/aperture" ./cmd/aperture)
rm -rf "$OUT" && mv "$TMP" "$OUT"
echo "$OUT/aperture"
