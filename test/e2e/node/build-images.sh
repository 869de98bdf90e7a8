#!/usr/bin/env bash
# The e2e node's local images, as OCI archives that `ctr images import` takes: no registry, no pull.
#   pause:   pause.c built with gcc -static (the sandbox image containerd's CRI needs)
#   busybox: Debian's busybox-static with its applet links, /etc/passwd and /tmp (for test Pods)
# Cached by content under ~/.cache/flink-ha-webhook/images/ (FLINK_HA_CACHE moves it). Prints one line per image:
# "<name> <archive path>", names flink-ha-e2e.local/<image>:<hash>. Deterministic tars (sorted, mtime 0, uid 0).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cache="${FLINK_HA_CACHE:-$HOME/.cache/flink-ha-webhook}/images"
mkdir -p "$cache"
busybox_bin=/bin/busybox
[ -x "$busybox_bin" ] || { echo "build-images.sh: $busybox_bin missing (Debian package busybox-static)" >&2; exit 1; }

sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }

# oci_archive NAME ROOTFS OUT CONFIG_EXTRA: one uncompressed layer; CONFIG_EXTRA is the config's "config" object.
oci_archive() {
  local name="$1" rootfs="$2" out="$3" cfg="$4" work
  work="$(mktemp -d "$cache/.build-XXXXXX")"
  mkdir -p "$work/oci/blobs/sha256"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$rootfs" -cf "$work/layer.tar" .
  local layer; layer="$(sha "$work/layer.tar")"
  mv "$work/layer.tar" "$work/oci/blobs/sha256/$layer"
  printf '{"architecture":"amd64","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$cfg" "$layer" > "$work/config.json"
  local config; config="$(sha "$work/config.json")"
  local config_size; config_size="$(size "$work/config.json")"
  mv "$work/config.json" "$work/oci/blobs/sha256/$config"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
    "$config" "$config_size" "$layer" "$(size "$work/oci/blobs/sha256/$layer")" > "$work/manifest.json"
  local manifest; manifest="$(sha "$work/manifest.json")"
  local manifest_size; manifest_size="$(size "$work/manifest.json")"
  mv "$work/manifest.json" "$work/oci/blobs/sha256/$manifest"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$manifest" "$manifest_size" "$name" "${name##*:}" > "$work/oci/index.json"
  printf '{"imageLayoutVersion":"1.0.0"}' > "$work/oci/oci-layout"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work/oci" -cf "$out.tmp" .
  mv "$out.tmp" "$out"
  rm -rf "$work"
}

# The inputs that decide each image's content, hashed into its tag and file name.
pause_hash="$(cat "$here/pause.c" "$0" | sha256sum | cut -c1-16)"
busybox_hash="$( { cat "$0"; sha "$busybox_bin"; } | sha256sum | cut -c1-16)"
pause_out="$cache/pause-$pause_hash.tar"
busybox_out="$cache/busybox-$busybox_hash.tar"

exec 9>"$cache/.node-images.lock"
flock 9
if [ ! -f "$pause_out" ]; then
  root="$(mktemp -d "$cache/.rootfs-XXXXXX")"
  gcc -static -O2 -s -o "$root/pause" "$here/pause.c"
  oci_archive "flink-ha-e2e.local/pause:$pause_hash" "$root" "$pause_out" '{"Entrypoint":["/pause"]}'
  rm -rf "$root"
fi
if [ ! -f "$busybox_out" ]; then
  root="$(mktemp -d "$cache/.rootfs-XXXXXX")"
  mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root"
  chmod 1777 "$root/tmp"
  cp "$busybox_bin" "$root/bin/busybox"
  for applet in $("$busybox_bin" --list); do [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
  oci_archive "flink-ha-e2e.local/busybox:$busybox_hash" "$root" "$busybox_out" \
    '{"Env":["PATH=/bin"],"Cmd":["/bin/sh"],"WorkingDir":"/"}'
  rm -rf "$root"
fi
echo "flink-ha-e2e.local/pause:$pause_hash $pause_out"
echo "flink-ha-e2e.local/busybox:$busybox_hash $busybox_out"
