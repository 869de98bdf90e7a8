#!/usr/bin/env bash
# The two local stand-ins for the Containerfile's public bases, made from this machine's own parts, because no
# registry is reachable here and the tests must build the very Containerfile a user builds:
#  - runtime-base, like gcr.io/distroless/nodejs20-debian12:nonroot: /nodejs/bin/node (this machine's Node 20)
#    with exactly the shared libraries `ldd` lists, /etc/passwd+group with nonroot 65532, CA certificates, /tmp,
#    /home/nonroot owned by 65532, user 65532; no shell, no package manager.
#  - build-base, like node:20-bookworm-slim: the same node as /usr/local/bin/node, npm, and busybox as /bin/sh
#    (npm runs package scripts with sh) and /usr/bin/env (npm's shebang); runs as root.
# Written as OCI archives directly (one uncompressed, deterministic layer each): no buildah storage, and file
# ownership kept as laid out here. Cached by this script, the Node.js and npm versions under
# ${FLINK_HA_CACHE:-~/.cache/flink-ha-webhook}/images/; locked, so parallel callers wait and reuse.
# Prints two lines: "build <archive>" and "runtime <archive>".
set -euo pipefail

node_bin="$(readlink -f "$(command -v node)")"
npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")" # .../node_modules/npm
busybox_bin=/bin/busybox
[[ -x "$busybox_bin" ]] || { echo "make-base-images: $busybox_bin missing (test/e2e/node/install-packages.sh installs busybox-static)" >&2; exit 1; }
node_version="$("$node_bin" --version)"
npm_version="$("$node_bin" "$npm_dir/bin/npm-cli.js" --version)"
key="$( { cat "$0"; echo "$node_version $npm_version"; } | sha256sum | cut -c1-8)"
out="${FLINK_HA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flink-ha-webhook}/images/bases-node-$node_version-$key"
done_() { echo "build $out/build-base.tar"; echo "runtime $out/runtime-base.tar"; exit 0; }
[[ -s "$out/build-base.tar" && -s "$out/runtime-base.tar" ]] && done_
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9
[[ -s "$out/build-base.tar" && -s "$out/runtime-base.tar" ]] && done_

work="$(mktemp -d "$out/.work-XXXXXX")"
trap 'rm -rf "$work"' EXIT

sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }

# oci_archive NAME ROOTFS OUT CONFIG: an OCI layout tar that buildah's `oci-archive:` and `ctr images import`
# both take; CONFIG is the image config's "config" object.
oci_archive() {
  local name=$1 rootfs=$2 archive=$3 cfg=$4 oci="$work/oci" layer config manifest
  rm -rf "$oci" && mkdir -p "$oci/blobs/sha256"
  tar --sort=name --mtime=@0 --numeric-owner -C "$rootfs" -cf "$work/layer.tar" .
  layer="$(sha "$work/layer.tar")"
  mv "$work/layer.tar" "$oci/blobs/sha256/$layer"
  printf '{"architecture":"amd64","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$cfg" "$layer" >"$work/config.json"
  config="$(sha "$work/config.json")"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
    "$config" "$(size "$work/config.json")" "$layer" "$(size "$oci/blobs/sha256/$layer")" >"$work/manifest.json"
  mv "$work/config.json" "$oci/blobs/sha256/$config"
  manifest="$(sha "$work/manifest.json")"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$manifest" "$(size "$work/manifest.json")" "$name" "${name##*:}" >"$oci/index.json"
  mv "$work/manifest.json" "$oci/blobs/sha256/$manifest"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$oci/oci-layout"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$oci" -cf "$archive.tmp" .
  mv "$archive.tmp" "$archive" # atomic: a half-written archive is never taken as made
}

# common ROOTFS NODE_PATH: node at NODE_PATH with the libraries ldd lists, users, CA certificates, /tmp.
common() {
  local dir=$1 node_at=$2
  mkdir -p "$dir$(dirname "$node_at")" "$dir/etc/ssl/certs" "$dir/tmp" "$dir/home/nonroot" "$dir/root"
  chmod 1777 "$dir/tmp"
  chmod 700 "$dir/root"
  chown 65532:65532 "$dir/home/nonroot"
  cp "$node_bin" "$dir$node_at"
  ldd "$node_bin" | awk '/=>/ {print $3} /^[[:space:]]*\/lib/ {print $1}' | while read -r lib; do
    [[ -f "$lib" ]] || continue
    mkdir -p "$dir$(dirname "$lib")"
    cp -L "$lib" "$dir$lib"
  done
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$dir/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$dir/etc/group"
  cp -L /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/certs/"
}

path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
certs=SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt

common "$work/runtime" /nodejs/bin/node
oci_archive "flink-ha-e2e.local/runtime-base:$key" "$work/runtime" "$out/runtime-base.tar" \
  "{\"User\":\"65532\",\"Env\":[\"PATH=$path\",\"$certs\"],\"Entrypoint\":[\"/nodejs/bin/node\"],\"WorkingDir\":\"/home/nonroot\"}"

common "$work/build" /usr/local/bin/node
mkdir -p "$work/build/usr/local/lib/node_modules" "$work/build/bin" "$work/build/usr/bin"
cp -a "$npm_dir" "$work/build/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/build/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/build/usr/local/bin/npx"
cp "$busybox_bin" "$work/build/bin/busybox"
for applet in sh ls cat cp mv rm mkdir chmod ln; do ln -s busybox "$work/build/bin/$applet"; done
ln -s /bin/busybox "$work/build/usr/bin/env"
oci_archive "flink-ha-e2e.local/build-base:$key" "$work/build" "$out/build-base.tar" \
  "{\"Env\":[\"PATH=$path\",\"$certs\"],\"Cmd\":[\"node\"]}"

echo "make-base-images: made $out/{build,runtime}-base.tar ($node_version, npm $npm_version)" >&2
done_
