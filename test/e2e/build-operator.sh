#!/usr/bin/env bash
# Builds the Flink Kubernetes Operator from its source release, once, into
# ${FLINK_HA_CACHE:-~/.cache/flink-ha-webhook}/flink-kubernetes-operator-<version>/, like build-control-plane.sh.
# The operator is not on Maven Central (only its -api/-standalone modules are), so it is built from the tag in the
# local mirror of apache/flink-kubernetes-operator; Maven Central serves its dependencies (~/.m2 is the cache).
# Leaves: operator.jar (the shaded operator), webhook.jar (the operator's own validating webhook), standalone.jar
# (flink-kubernetes-standalone, on the operator's classpath as its image's entrypoint puts it), plugins/ (the
# metrics plugins its image ships), docker-entrypoint.sh (its image's), chart/ (the Helm chart of the same tree).
# Idempotent; a lock keeps two test files from building it at once.
# Progress goes to stderr, the log to build.log in the cache. Prints the cache directory.
set -euo pipefail

version="${FLINK_OPERATOR_VERSION:-1.13.0}"
cache_root="${FLINK_HA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flink-ha-webhook}"
out="$cache_root/flink-kubernetes-operator-$version"
mirror="${FLINK_OPERATOR_MIRROR:-/work/.mirror/apache+flink-kubernetes-operator/repo}"
tag="release-$version"

if [[ -f "$out/.done" ]]; then echo "$out"; exit 0; fi

if ! git --git-dir="$mirror" rev-parse -q --verify "refs/tags/$tag^{commit}" >/dev/null 2>&1; then
  cat >&2 <<MSG
build-operator: no tag $tag in the operator's source mirror ($mirror).
  The operator is not on Maven Central and is built from its source release. Provide a bare git clone that holds
  the tag, e.g.  git clone --bare https://github.com/apache/flink-kubernetes-operator "$mirror"
  (or point FLINK_OPERATOR_MIRROR at one).
MSG
  exit 1
fi
for tool in mvn java tar; do
  command -v "$tool" >/dev/null || { echo "build-operator: $tool is required (JDK 17 + Maven 3.8+)" >&2; exit 1; }
done

mkdir -p "$out"
exec 9>"$out/.lock"
if ! flock -n 9; then
  echo "build-operator: another build holds $out/.lock, waiting for it" >&2
  flock 9
fi
if [[ -f "$out/.done" ]]; then echo "$out"; exit 0; fi

log="$out/build.log"
: >"$log"
start=$(date +%s)
src="$out/src"
rm -rf "$src" && mkdir -p "$src"
git --git-dir="$mirror" archive "$tag" | tar -x -C "$src"
echo "build-operator: building the operator $version from $tag into $out (2-10 minutes on 2 cores, more on an empty ~/.m2); log: $log" >&2
# The skips: tests, formatting, licence and style checks are upstream's release gates, not ours; antrun runs a CRD
# compatibility check that downloads an old CRD from the internet (unreachable here).
if ! (cd "$src" && nice -n 10 mvn -B -q -pl flink-kubernetes-operator,flink-kubernetes-webhook -am package \
      -DskipTests -Dspotless.skip=true -Drat.skip=true -Dcheckstyle.skip=true -Dmaven.javadoc.skip=true \
      -Denforcer.skip=true -Dmaven.antrun.skip=true) >>"$log" 2>&1; then
  echo "build-operator: mvn failed; last lines of $log:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
cp "$src/flink-kubernetes-operator/target/flink-kubernetes-operator-$version-shaded.jar" "$out/operator.jar"
cp "$src/flink-kubernetes-webhook/target/flink-kubernetes-webhook-$version-shaded.jar" "$out/webhook.jar"
cp "$src/flink-kubernetes-standalone/target/flink-kubernetes-standalone-$version.jar" "$out/standalone.jar"
rm -rf "$out/chart" "$out/plugins"
cp -r "$src/helm/flink-kubernetes-operator" "$out/chart"
cp -r "$src/flink-kubernetes-operator/target/plugins" "$out/plugins"
cp "$src/docker-entrypoint.sh" "$out/docker-entrypoint.sh"
rm -rf "$src" # 100+ MB of sources and target/ the tests never read again
echo "build-operator: built in $(( $(date +%s) - start ))s" | tee -a "$log" >&2
touch "$out/.done" # last: a half-built directory is never taken as built
echo "$out"
