#!/usr/bin/env bash
# Builds the two images of the operator e2e test (test/e2e/operator.test.ts) with buildah, offline, from local parts:
#  - flink: Flink's module jars from Maven Central (build-flink-image/pom.xml; flink-dist is not published there),
#    our stand-ins for flink-dist's Kubernetes scripts (build-flink-image/bin/), flink-docker's own
#    docker-entrypoint.sh (read from the local mirror of apache/flink-docker), the tests' counting job in usrlib/;
#  - operator: the jars build-operator.sh built from the operator's source release, its own docker-entrypoint.sh.
# Both on a JRE base this script writes itself (jlink of this machine's JDK 17, bash, busybox; user flink 9999).
# Cached under ${FLINK_HA_CACHE:-~/.cache/flink-ha-webhook}/images/flink-operator-<hash>/ (hash of every input);
# idempotent and locked. Prints the cache directory, which holds flink.tar, operator.tar (OCI archives that
# `ctr images import` names) and refs (flink=<ref>, operator=<ref>, flinkVersion=, operatorVersion=).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
parts="$here/build-flink-image"
flink_version="${FLINK_IMAGE_VERSION:-1.20.1}"
operator_version="${FLINK_OPERATOR_VERSION:-1.13.0}"
flink_docker="${FLINK_DOCKER_MIRROR:-/work/.mirror/apache+flink-docker/repo}"
minor="${flink_version%.*}"
entrypoint_path="$minor/scala_2.12-java17-ubuntu/docker-entrypoint.sh"
cache_root="${FLINK_HA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flink-ha-webhook}"

if ! entrypoint="$(git --git-dir="$flink_docker" show "HEAD:$entrypoint_path" 2>/dev/null)"; then
  cat >&2 <<MSG
build-flink-image: no $entrypoint_path in the local mirror of apache/flink-docker ($flink_docker).
  The Flink image uses flink-docker's own entrypoint. Provide a bare clone of it, e.g.
  git clone --bare https://github.com/apache/flink-docker "$flink_docker"   (or set FLINK_DOCKER_MIRROR)
MSG
  exit 1
fi
for tool in mvn java javac jar jlink buildah; do
  command -v "$tool" >/dev/null || { echo "build-flink-image: $tool is required (JDK 17, Maven, buildah)" >&2; exit 1; }
done
operator_dir="$(bash "$here/build-operator.sh" | tail -n 1)"
java_home="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"

key="$( { cat "$0" "$parts"/pom.xml "$parts"/Containerfile.* "$parts"/bin/* "$here"/../flink/job/src/flinkha/*.java
          echo "$entrypoint" "$flink_version" "$operator_version"; java -version 2>&1
          sha256sum "$operator_dir"/*.jar "$operator_dir/docker-entrypoint.sh"; } | sha256sum | cut -c1-12)"
out="$cache_root/images/flink-operator-$key"
built() { [[ -s "$out/flink.tar" && -s "$out/operator.tar" && -s "$out/refs" ]]; }
if built; then echo "$out"; exit 0; fi
"$here/node/install-packages.sh" # buildah: a no-op when installed
mkdir -p "$out"
exec 9>"$out/.lock"
if ! flock -n 9; then
  echo "build-flink-image: another build holds $out/.lock, waiting for it" >&2
  flock 9
fi
if built; then echo "$out"; exit 0; fi

work="$(mktemp -d /tmp/flink-ha-flink-image-XXXXXX)"
store=(--root "$work/storage" --runroot "$work/run" --storage-driver vfs)
cleanup() {
  buildah "${store[@]}" rm --all >/dev/null 2>&1 || true
  buildah "${store[@]}" rmi --all --force >/dev/null 2>&1 || true
  awk -v w="$work" 'index($5, w) == 1 {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log="$out/build.log"
: >"$log"
start=$(date +%s)
echo "build-flink-image: building the Flink $flink_version and operator $operator_version images (log: $log)" >&2

# --- the Flink distribution layout -------------------------------------------------------------------------------
flink="$work/ctx-flink/flink"
mkdir -p "$flink"/{lib,bin,conf,log,usrlib,plugins}
mvn -B -q -f "$parts/pom.xml" dependency:copy-dependencies -Dflink.version="$flink_version" \
  -DoutputDirectory="$flink/lib" >>"$log" 2>&1 || { echo "build-flink-image: resolving Flink failed; see $log" >&2; exit 1; }
# manifest_jar JAR PREFIX: a jar holding only a manifest whose Class-Path names every lib/ jar (PREFIX + name).
# flink-dist*.jar must exist for Flink's scripts (they look it up by name) and bash-java-utils.jar is what they put
# on BashJavaUtils' classpath; here both point at the module jars instead of bundling them again.
manifest_jar() {
  local jar=$1 prefix=$2 entries
  entries="$(cd "$flink/lib" && ls *.jar | grep -v '^flink-dist' | sed "s|^|$prefix|" | tr '\n' ' ')"
  { echo "Manifest-Version: 1.0"; echo "Created-By: flink-ha-webhook build-flink-image.sh (module jars of Maven Central)"
    printf 'Class-Path: %s\n' "$entries" | fold -w 69 | sed '2,$s/^/ /'; } >"$work/manifest.mf"
  jar --create --file "$jar" --manifest "$work/manifest.mf"
}
manifest_jar "$flink/lib/flink-dist-$flink_version.jar" ""
manifest_jar "$flink/bin/bash-java-utils.jar" "../lib/"
cp "$parts"/bin/*.sh "$flink/bin/"
mkdir -p "$work/job"
javac -nowarn -d "$work/job" -cp "$(ls "$flink"/lib/*.jar | tr '\n' ':')" "$here"/../flink/job/src/flinkha/*.java >>"$log" 2>&1
jar --create --file "$flink/usrlib/ha-counter.jar" --main-class flinkha.CounterJob -C "$work/job" .
printf 'jobmanager.rpc.address: localhost\nrest.bind-address: 0.0.0.0\njobmanager.bind-host: 0.0.0.0\ntaskmanager.bind-host: 0.0.0.0\n' >"$flink/conf/config.yaml"
printf '%s\n' "$entrypoint" >"$work/ctx-flink/docker-entrypoint.sh"
chmod 755 "$work/ctx-flink/docker-entrypoint.sh"

# --- the operator ------------------------------------------------------------------------------------------------
octx="$work/ctx-operator"
mkdir -p "$octx/operator" "$octx/flink-home/operator-lib"
cp "$operator_dir/operator.jar" "$octx/operator/flink-kubernetes-operator-$operator_version-shaded.jar"
cp "$operator_dir/webhook.jar" "$octx/operator/flink-kubernetes-webhook-$operator_version-shaded.jar"
cp "$operator_dir/standalone.jar" "$octx/operator/flink-kubernetes-standalone-$operator_version.jar"
cp -r "$operator_dir/plugins" "$octx/flink-home/plugins"
cp "$operator_dir/docker-entrypoint.sh" "$octx/docker-entrypoint.sh"
chmod 755 "$octx/docker-entrypoint.sh"

# --- the JRE base: jlink of this JDK, its libraries, bash, busybox, users -----------------------------------------
base="$work/base"
mkdir -p "$base"/{bin,usr/bin,usr/sbin,sbin,tmp,etc/ssl/certs,opt/flink,root}
chmod 1777 "$base/tmp"
jlink --add-modules ALL-MODULE-PATH --module-path "$java_home/jmods" --strip-debug --no-header-files \
  --no-man-pages --output "$base/opt/java" >>"$log" 2>&1
copy_libs() { # the shared libraries `ldd` lists for the given ELF files
  ldd "$@" 2>/dev/null | awk '/=>/ && $3 ~ /^\// {print $3} /^[[:space:]]*\/lib/ {print $1}' | sort -u | while read -r lib; do
    [[ -f "$lib" && ! -e "$base$lib" ]] || continue
    mkdir -p "$base$(dirname "$lib")" && cp -L "$lib" "$base$lib"
  done
}
copy_libs "$base/opt/java/bin/java" "$base"/opt/java/lib/*.so "$base"/opt/java/lib/server/*.so /bin/bash
cp /bin/bash "$base/bin/bash"
cp /bin/busybox "$base/bin/busybox"
for applet in $(/bin/busybox --list); do
  case "$applet" in bash|busybox) continue ;; esac
  [[ -e "$base/bin/$applet" ]] || ln -s busybox "$base/bin/$applet"
done
ln -s /bin/bash "$base/usr/bin/bash"
ln -s /bin/busybox "$base/usr/bin/env"
printf 'root:x:0:0:root:/root:/bin/sh\nflink:x:9999:9999:flink:/opt/flink:/bin/sh\n' >"$base/etc/passwd"
printf 'root:x:0:\nflink:x:9999:\n' >"$base/etc/group"
printf 'hosts: files dns\n' >"$base/etc/nsswitch.conf"
cp -L /etc/ssl/certs/ca-certificates.crt "$base/etc/ssl/certs/"
chown 9999:9999 "$base/opt/flink"

sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }
oci="$work/base-oci"
mkdir -p "$oci/blobs/sha256"
tar --sort=name --mtime=@0 --numeric-owner -C "$base" -cf "$work/layer.tar" .
layer="$(sha "$work/layer.tar")" && mv "$work/layer.tar" "$oci/blobs/sha256/$layer"
printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/opt/java/bin:/usr/sbin:/usr/bin:/sbin:/bin","JAVA_HOME=/opt/java"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$layer" >"$work/config.json"
config="$(sha "$work/config.json")"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
  "$config" "$(size "$work/config.json")" "$layer" "$(size "$oci/blobs/sha256/$layer")" >"$work/manifest.json"
mv "$work/config.json" "$oci/blobs/sha256/$config"
manifest="$(sha "$work/manifest.json")"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"jre-base"}}]}' \
  "$manifest" "$(size "$work/manifest.json")" >"$oci/index.json"
mv "$work/manifest.json" "$oci/blobs/sha256/$manifest"
printf '{"imageLayoutVersion":"1.0.0"}' >"$oci/oci-layout"
tar -C "$oci" -cf "$work/jre-base.tar" .

# --- buildah: no RUN steps, so no network or isolation question arises ---------------------------------------------
echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$work/policy.json"
# image NAME REF CONTAINERFILE CONTEXT [build args]: bud, push as an OCI layout, name it for ctr, tar it.
image() {
  local name=$1 ref=$2 file=$3 ctx=$4
  shift 4
  nice -n 10 buildah "${store[@]}" bud --signature-policy "$work/policy.json" --network none --layers=false \
    --build-arg "BASE_IMAGE=oci-archive:$work/jre-base.tar" "$@" -t "$ref" -f "$file" "$ctx" >>"$log" 2>&1 \
    || { echo "build-flink-image: buildah bud of $name failed; last lines of $log:" >&2; tail -n 30 "$log" >&2; exit 1; }
  rm -rf "$work/oci-$name"
  nice -n 10 buildah "${store[@]}" push --signature-policy "$work/policy.json" "$ref" "oci:$work/oci-$name:$ref" >>"$log" 2>&1
  node -e '
    const fs = require("node:fs");
    const [file, ref] = process.argv.slice(1);
    const index = JSON.parse(fs.readFileSync(file, "utf8"));
    for (const m of index.manifests) m.annotations = { ...m.annotations, "io.containerd.image.name": ref, "org.opencontainers.image.ref.name": ref.slice(ref.lastIndexOf(":") + 1) };
    fs.writeFileSync(file, JSON.stringify(index));
  ' "$work/oci-$name/index.json" "$ref"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work/oci-$name" -cf "$out/$name.tar.tmp" .
  mv "$out/$name.tar.tmp" "$out/$name.tar"
}
flink_ref="flink-ha-e2e.local/flink:$flink_version-$key"
operator_ref="flink-ha-e2e.local/flink-kubernetes-operator:$operator_version-$key"
image flink "$flink_ref" "$parts/Containerfile.flink" "$work/ctx-flink"
image operator "$operator_ref" "$parts/Containerfile.operator" "$octx" --build-arg "OPERATOR_VERSION=$operator_version"
printf 'flink=%s\noperator=%s\nflinkVersion=%s\noperatorVersion=%s\n' "$flink_ref" "$operator_ref" "$flink_version" "$operator_version" >"$out/refs"
echo "build-flink-image: built in $(( $(date +%s) - start ))s (flink $(du -m "$out/flink.tar" | cut -f1) MB, operator $(du -m "$out/operator.tar" | cut -f1) MB)" | tee -a "$log" >&2
echo "$out"
