#!/usr/bin/env bash
# Builds cert-manager's controller and cainjector (and copies its CRDs) for the e2e tests from the Go module
# proxy, once, into ${FLINK_HA_CACHE:-~/.cache/flink-ha-webhook}/cert-manager-<version>-<hash>/, where <hash>
# is the first 10 hex digits of the SHA-256 of test/e2e/cert-manager/ (go.mod, go.sum, sources, patch), so any
# change there builds afresh. Idempotent: exits at once when both binaries and the CRDs are present; a lock
# file keeps two runs from building at the same time. Progress on stderr, the full log in build.log in the
# cache; prints the cache directory on stdout.
#
# Why it is not simply `go build github.com/cert-manager/cert-manager/cmd/controller@v1.21.2`:
# - cmd/controller and cmd/cainjector are separate modules upstream whose module paths do not match their
#   folders (github.com/cert-manager/cert-manager/controller-binary in cmd/controller), so no proxy can serve
#   them; their few files (main.go + app/, Apache-2.0) are copied unchanged into test/e2e/cert-manager/ under
#   the same module paths, which also lets them import cert-manager's internal/ packages as upstream does.
# - cert-manager v1.21.2 requires github.com/Venafi/vcert/v5 v5.13.7, which the module proxy here refuses
#   (403 "This module version is not available", as for every v5.13.x); v5.12.2 is served and compiles
#   against cert-manager once the one file that uses the NGTS connector (new in v5.13) does without it:
#   venafi-without-ngts.patch, applied to a copy of the v1.21.2 module taken from the verified module cache.
#   Only the Venafi issuer's NGTS mode is affected; the tests use the SelfSigned and CA issuers.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
src="$here/cert-manager"
version="$(awk '$1 == "github.com/cert-manager/cert-manager" && $2 ~ /^v/ {print $2; exit}' "$src/controller/go.mod")"
inputs_hash="$(cd "$src" && find . -type f \( -name go.mod -o -name go.sum -o -name '*.go' -o -name '*.patch' \) -print0 |
  LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-10)"
cache_root="${FLINK_HA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flink-ha-webhook}"
out="$cache_root/cert-manager-$version-$inputs_hash"

crds=(cert-manager.io_certificaterequests cert-manager.io_certificates cert-manager.io_clusterissuers
  cert-manager.io_issuers acme.cert-manager.io_challenges acme.cert-manager.io_orders)
have_all() {
  local f
  for f in cert-manager-controller cert-manager-cainjector; do [[ -x "$out/$f" ]] || return 1; done
  for f in "${crds[@]}"; do [[ -f "$out/crds/$f.yaml" ]] || return 1; done
}

if have_all; then echo "$out"; exit 0; fi

command -v go >/dev/null || { echo "build-cert-manager: Go is required (go 1.26+)" >&2; exit 1; }
mkdir -p "$out"
exec 9>"$out/.lock"
if ! flock -n 9; then
  echo "build-cert-manager: another build holds $out/.lock, waiting for it" >&2
  flock 9
fi
if have_all; then echo "$out"; exit 0; fi

log="$out/build.log"
start=$(date +%s)
echo "build-cert-manager: building cert-manager $version (controller, cainjector) into $out; log: $log" >&2
echo "build-cert-manager: the first build takes about 5 minutes on 2 cores (4.3 measured with an empty Go build cache)" >&2

# -mod=mod: the go.sum files are committed, but a missing entry should be fetched, not fail the run.
export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"

# The v1.21.2 module, verified against go.sum by `go mod download`, copied and patched (see the header).
module_dir="$(cd "$src/controller" && go mod download -json "github.com/cert-manager/cert-manager@$version" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[[ -d "$module_dir" ]] || { echo "build-cert-manager: could not download cert-manager $version" >&2; exit 1; }
work="$out/src"
rm -rf "$work"
mkdir -p "$work"
cp -r "$module_dir" "$work/cert-manager"
chmod -R u+w "$work/cert-manager"
patch -s -p1 -d "$work/cert-manager" <"$src/venafi-without-ngts.patch" >>"$log" 2>&1

mkdir -p "$out/crds"
for f in "${crds[@]}"; do cp "$work/cert-manager/deploy/crds/$f.yaml" "$out/crds/$f.yaml"; done

ldflags="-s -w -X github.com/cert-manager/cert-manager/pkg/util.AppVersion=$version"
step() { # binary name, module folder under test/e2e/cert-manager
  local name=$1 dir=$2 t0
  [[ -x "$out/$name" ]] && return 0
  t0=$(date +%s)
  echo "build-cert-manager: building $name..." >&2
  # A copy of the module whose go.mod points cert-manager at the patched copy; the repo's go.mod stays as pinned.
  cp -r "$src/$dir" "$work/$dir"
  (cd "$work/$dir" && go mod edit -replace "github.com/cert-manager/cert-manager=$work/cert-manager") >>"$log" 2>&1
  # nice: the build shares 2 cores with whatever else runs.
  if ! (cd "$work/$dir" && nice -n 10 go build -trimpath -ldflags "$ldflags" -o "$out/$name.tmp" .) >>"$log" 2>&1; then
    echo "build-cert-manager: building $name failed; last lines of $log:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  mv "$out/$name.tmp" "$out/$name" # atomic: a half-written binary is never taken as built
  echo "build-cert-manager: $name built in $(( $(date +%s) - t0 ))s" >&2
}

step cert-manager-cainjector cainjector
step cert-manager-controller controller
rm -rf "$work"

echo "build-cert-manager: done in $(( $(date +%s) - start ))s" | tee -a "$log" >&2
echo "$out"
