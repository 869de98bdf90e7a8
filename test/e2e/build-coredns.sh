#!/usr/bin/env bash
# Builds CoreDNS for the operator e2e test from the Go module proxy (no release downloads here), once, into
# ${FLINK_HA_CACHE:-~/.cache/flink-ha-webhook}/coredns-<version>/coredns, like build-helm.sh: upstream's coremain
# with the few plugins the harness uses (coredns/main.go). Idempotent, locked; progress on stderr, the log in
# build.log beside the binary. Prints the cache directory.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
version="$(awk '$1 == "github.com/coredns/coredns" && $2 ~ /^v/ {print $2; exit}' "$here/coredns/go.mod")"
cache_root="${FLINK_HA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flink-ha-webhook}"
out="$cache_root/coredns-$version-$(cat "$here/coredns/main.go" "$here/coredns/go.mod" | sha256sum | cut -c1-8)"

if [[ -x "$out/coredns" ]]; then echo "$out"; exit 0; fi
command -v go >/dev/null || { echo "build-coredns: Go is required (go 1.26+) to build CoreDNS" >&2; exit 1; }
mkdir -p "$out"
exec 9>"$out/.lock"
if ! flock -n 9; then
  echo "build-coredns: another build holds $out/.lock, waiting for it" >&2
  flock 9
fi
if [[ -x "$out/coredns" ]]; then echo "$out"; exit 0; fi

log="$out/build.log"
start=$(date +%s)
echo "build-coredns: building CoreDNS $version into $out (a few minutes on 2 cores); log: $log" >&2
export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"
if ! (cd "$here/coredns" && nice -n 10 go build -trimpath -ldflags "-s -w" -o "$out/coredns.tmp" .) >>"$log" 2>&1; then
  echo "build-coredns: building CoreDNS failed; last lines of $log:" >&2
  tail -n 30 "$log" >&2
  exit 1
fi
mv "$out/coredns.tmp" "$out/coredns"
echo "build-coredns: CoreDNS built in $(( $(date +%s) - start ))s" | tee -a "$log" >&2
echo "$out"
