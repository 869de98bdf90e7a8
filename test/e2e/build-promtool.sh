#!/usr/bin/env bash
# Builds promtool for the alert-rule tests from the Prometheus Go modules (the machine reaches no release
# downloads), once, into ${FLINK_HA_CACHE:-~/.cache/flink-ha-webhook}/promtool-<version>/promtool, like
# build-helm.sh. Idempotent: exits at once when the binary is there. A lock file keeps two test files from building
# it at the same time; the loser waits and then finds it. Progress goes to stderr, the log to build.log in the
# cache. Prints the cache directory.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
# Prometheus tags its Go module v0.<major*100+minor>.<patch> (v0.316.0 is Prometheus 3.16.0); read from go.mod so
# the cache directory cannot drift from what is built.
module_version="$(awk '$1 == "github.com/prometheus/prometheus" && $2 ~ /^v/ {print $2; exit}' "$here/promtool/go.mod")"
cache_root="${FLINK_HA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flink-ha-webhook}"
out="$cache_root/promtool-$module_version"

if [[ -x "$out/promtool" ]]; then echo "$out"; exit 0; fi

command -v go >/dev/null || { echo "build-promtool: Go is required (go 1.26+) to build promtool" >&2; exit 1; }
mkdir -p "$out"
exec 9>"$out/.lock"
if ! flock -n 9; then
  echo "build-promtool: another build holds $out/.lock, waiting for it" >&2
  flock 9
fi
if [[ -x "$out/promtool" ]]; then echo "$out"; exit 0; fi

log="$out/build.log"
start=$(date +%s)
echo "build-promtool: building promtool $module_version into $out (a few minutes on 2 idle cores, much longer on loaded ones); log: $log" >&2
export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"
# v0.316.0 -> 3.16.0: what `promtool --version` prints (Prometheus' own build sets it through common/version).
release="$(echo "$module_version" | awk -F. '{m=substr($1,2)+0; n=$2+0; printf "%d.%d.%s", int(n/100), n%100, $3}')"
ldflags="-s -w -X github.com/prometheus/common/version.Version=$release"
# nice: the build shares 2 cores with whatever else runs (other tests, editors).
# remove_all_sd: Prometheus' own build tag that leaves out the cloud service-discovery plugins (AWS, Azure, GCE, ...):
# rule checks and rule tests need none of them, and they are most of the build (promtool keeps file and kubernetes SD).
if ! (cd "$here/promtool" && nice -n 10 go build -tags remove_all_sd -trimpath -ldflags "$ldflags" -o "$out/promtool.tmp" github.com/prometheus/prometheus/cmd/promtool) >>"$log" 2>&1; then
  echo "build-promtool: building promtool failed; last lines of $log:" >&2
  tail -n 30 "$log" >&2
  exit 1
fi
mv "$out/promtool.tmp" "$out/promtool" # atomic: a half-written binary is never taken as built
echo "build-promtool: promtool built in $(( $(date +%s) - start ))s" | tee -a "$log" >&2
echo "$out"
