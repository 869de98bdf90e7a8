#!/usr/bin/env bash
# The Debian packages a real e2e node needs (containerd, runc, the CNI plugins, iptables, conntrack) and the
# image tools (buildah, busybox-static, skopeo, umoci). Idempotent: installs only what `dpkg -s` says is missing,
# so on a prepared machine it touches no network at all. All of them are in Debian bookworm (apt-cache policy).
set -euo pipefail

packages=(buildah busybox-static containerd runc containernetworking-plugins iptables conntrack skopeo umoci)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed'; then missing+=("$p"); fi
done
if [ "${#missing[@]}" -eq 0 ]; then exit 0; fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-packages.sh: missing Debian packages: ${missing[*]}" >&2
  echo "  a real node needs root anyway (bridge, iptables, cgroups); run as root, or: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "install-packages.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends "${missing[@]}" >&2 || {
  apt-get update >&2
  apt-get install -y --no-install-recommends "${missing[@]}" >&2
}
