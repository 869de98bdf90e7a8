#!/usr/bin/env bash
# Builds helm for the chart tests from the Go module proxy (the machine reaches no release downloads), once, into
# ${FLINK_HA_CACHE:-~/.cache/flink-ha-webhook}/helm-<version>/helm, like build-control-plane.sh. Idempotent: exits
# at once when the binary is there. A lock file keeps two test files from building it at the same time; the loser
# waits and then finds it. Progress goes to stderr, the log to build.log in the cache. Prints the cache directory.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
# The version is read from the Go module itself so that it cannot drift from what is built.
helm_version="$(awk '$1 == "helm.sh/helm/v4" && $2 ~ /^v/ {print $2; exit}' "$here/helm/go.mod")"
cache_root="${FLINK_HA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flink-ha-webhook}"
out="$cache_root/helm-$helm_version"

if [[ -x "$out/helm" ]]; then echo "$out"; exit 0; fi

command -v go >/dev/null || { echo "build-helm: Go is required (go 1.26+) to build helm" >&2; exit 1; }
mkdir -p "$out"
exec 9>"$out/.lock"
if ! flock -n 9; then
  echo "build-helm: another build holds $out/.lock, waiting for it" >&2
  flock 9
fi
if [[ -x "$out/helm" ]]; then echo "$out"; exit 0; fi

log="$out/build.log"
start=$(date +%s)
echo "build-helm: building helm $helm_version into $out (1-5 minutes on 2 cores); log: $log" >&2
# -mod=mod: go.sum is committed, but a missing entry should be fetched, not fail the run.
export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"
# helm's own build sets its version this way (internal/version); without it `helm version` says v4.0+unreleased.
ldflags="-s -w -X helm.sh/helm/v4/internal/version.version=$helm_version -X helm.sh/helm/v4/internal/version.gitTreeState=clean"
# nice: the build shares 2 cores with whatever else runs (other tests, editors).
if ! (cd "$here/helm" && nice -n 10 go build -trimpath -ldflags "$ldflags" -o "$out/helm.tmp" helm.sh/helm/v4/cmd/helm) >>"$log" 2>&1; then
  echo "build-helm: building helm failed; last lines of $log:" >&2
  tail -n 30 "$log" >&2
  exit 1
fi
mv "$out/helm.tmp" "$out/helm" # atomic: a half-written binary is never taken as built
echo "build-helm: helm built in $(( $(date +%s) - start ))s" | tee -a "$log" >&2
echo "$out"
