#!/usr/bin/env bash
# Builds the top-level Containerfile with buildah, as a user would, but on the local bases of make-base-images.sh
# and offline: `--network none` (RUN steps get a network namespace with only `lo`), the host's npm cache mounted as
# an overlay (`:O`, writes discarded: npm fails on a read-only cache) and `npm ci --offline`. `--isolation oci`
# (runc) because buildah 1.28 refuses `--network none` with `--isolation chroot`; with no network buildah runs no
# CNI plugin, adds no iptables chain and leaves ip_forward alone (its default networking would touch both).
# Writes an OCI archive that `ctr -n k8s.io images import` names <ref> (the index carries io.containerd.image.name).
# buildah's storage (vfs: a full copy of the root file system per layer) lives in a temp dir that is unmounted
# and removed afterwards, also on failure and on SIGINT/SIGTERM.
# Usage: build-image.sh <context> <ref> <archive>. Idempotent (exits at once when the archive exists) and locked
# (a second caller waits, then finds the archive). The build's output goes to <archive>.log.
set -euo pipefail
context="$1" ref="$2" archive="$3"
[[ -s "$archive" ]] && exit 0
here="$(cd "$(dirname "$0")" && pwd)"
"$here/../node/install-packages.sh" # buildah, runc, busybox-static: a no-op when they are installed
mkdir -p "$(dirname "$archive")"
exec 9>"$archive.lock"
if ! flock -n 9; then
  echo "build-image: another build of $ref holds $archive.lock, waiting for it" >&2
  flock 9
fi
[[ -s "$archive" ]] && exit 0

bases="$("$here/make-base-images.sh")"
build_base="$(awk '$1 == "build" {print $2}' <<<"$bases")"
runtime_base="$(awk '$1 == "runtime" {print $2}' <<<"$bases")"
npm_cache="$(npm config get cache --logs-max=0)"
[[ -d "$npm_cache/_cacache" ]] || { echo "build-image: no npm cache at $npm_cache (run npm ci once on this machine)" >&2; exit 1; }

work="$(mktemp -d /tmp/flink-ha-image-XXXXXX)"
store=(--root "$work/storage" --runroot "$work/run" --storage-driver vfs)
cleanup() {
  buildah "${store[@]}" rm --all >/dev/null 2>&1 || true
  buildah "${store[@]}" rmi --all --force >/dev/null 2>&1 || true
  # Whatever buildah left mounted under the temp dir (deepest first), then the dir itself.
  awk -v w="$work" 'index($5, w) == 1 {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$work/policy.json"
log="$archive.log"
: >"$log"
start=$(date +%s)
echo "build-image: building $ref from $context/Containerfile (log: $log)" >&2
# --logs-max=0 --no-update-notifier: npm writes nothing into the read-only cache.
if ! nice -n 10 buildah "${store[@]}" bud --signature-policy "$work/policy.json" \
  --isolation oci --network none --volume "$npm_cache:/npm-cache:O" \
  --build-arg "BUILD_IMAGE=oci-archive:$build_base" \
  --build-arg "RUNTIME_IMAGE=oci-archive:$runtime_base" \
  --build-arg "NPM_FLAGS=--offline --cache=/npm-cache --logs-max=0 --no-update-notifier" \
  --layers=false -t "$ref" -f "$context/Containerfile" "$context" >>"$log" 2>&1; then
  echo "build-image: buildah bud failed; last lines of $log:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
nice -n 10 buildah "${store[@]}" push --signature-policy "$work/policy.json" "$ref" "oci:$work/oci:$ref" >>"$log" 2>&1
# containerd's import names an image by io.containerd.image.name (ctr drops a bare ref.name it has no prefix
# for); the index is not content-addressed, so adding the annotation leaves every digest as it is.
node -e '
  const fs = require("node:fs");
  const [file, ref] = process.argv.slice(1);
  const index = JSON.parse(fs.readFileSync(file, "utf8"));
  for (const m of index.manifests) m.annotations = { ...m.annotations, "io.containerd.image.name": ref, "org.opencontainers.image.ref.name": ref.slice(ref.lastIndexOf(":") + 1) };
  fs.writeFileSync(file, JSON.stringify(index));
' "$work/oci/index.json" "$ref"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work/oci" -cf "$archive.tmp" .
mv "$archive.tmp" "$archive" # atomic: a half-written archive is never taken as built
echo "build-image: built $ref in $(( $(date +%s) - start )) s ($(du -m "$archive" | cut -f1) MB)" | tee -a "$log" >&2
