#!/usr/bin/env bash
# Resolves the Flink jars for the real-Flink e2e tests from Maven Central (into the normal ~/.m2, via pom.xml
# beside this script) and compiles the test job against them, once per Flink version, into
# ${FLINK_HA_CACHE:-~/.cache/flink-ha-webhook}/flink-<version>/ (outside the repo):
#   classpath.txt   the resolved jars, one classpath line (Flink itself + log4j)
#   job/            the compiled test job (flinkha.CounterJob)
#   stamp           hash of pom.xml and the job sources: a change rebuilds, otherwise the script exits at once
# A lock file keeps two test files from resolving at the same time; the loser waits and then finds the result.
# Usage: build-flink.sh <flink-version>. Progress goes to stderr; prints the cache directory on stdout.
set -euo pipefail

version="${1:?usage: build-flink.sh <flink-version>}"
here="$(cd "$(dirname "$0")" && pwd)"
cache_root="${FLINK_HA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flink-ha-webhook}"
out="$cache_root/flink-$version"
stamp="$(cat "$here/pom.xml" "$here"/job/src/flinkha/*.java | sha256sum | cut -d' ' -f1)"

built() { [[ -f "$out/stamp" && "$(cat "$out/stamp")" == "$stamp" && -s "$out/classpath.txt" && -d "$out/job" ]]; }

if built; then echo "$out"; exit 0; fi

for tool in mvn javac; do
  command -v "$tool" >/dev/null || { echo "build-flink: $tool is required (Maven 3.8+, JDK 17)" >&2; exit 1; }
done
mkdir -p "$out"
exec 9>"$out/.lock"
if ! flock -n 9; then
  echo "build-flink: another build holds $out/.lock, waiting for it" >&2
  flock 9
fi
if built; then echo "$out"; exit 0; fi

t0=$(date +%s)
log="$out/build.log"
echo "build-flink: resolving Flink $version from Maven Central into ~/.m2 (log: $log)" >&2
if ! mvn -B -q -f "$here/pom.xml" dependency:build-classpath -Dflink.version="$version" \
    -Dmdep.outputFile="$out/classpath.txt.tmp" >"$log" 2>&1; then
  echo "build-flink: resolving Flink $version failed; last lines of $log:" >&2
  tail -n 30 "$log" >&2
  exit 1
fi
rm -rf "$out/job.tmp" && mkdir -p "$out/job.tmp"
if ! javac -nowarn -d "$out/job.tmp" -cp "$(cat "$out/classpath.txt.tmp")" "$here"/job/src/flinkha/*.java >>"$log" 2>&1; then
  echo "build-flink: compiling the test job against Flink $version failed; last lines of $log:" >&2
  tail -n 30 "$log" >&2
  exit 1
fi
# Replace atomically enough: a half-written result is never taken as built, because the stamp comes last.
rm -f "$out/stamp"
rm -rf "$out/job" && mv "$out/job.tmp" "$out/job"
mv "$out/classpath.txt.tmp" "$out/classpath.txt"
echo "$stamp" >"$out/stamp"
echo "build-flink: Flink $version ready in $(( $(date +%s) - t0 ))s" | tee -a "$log" >&2
echo "$out"
