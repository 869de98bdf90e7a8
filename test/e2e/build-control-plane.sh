#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kubectl and etcd for the e2e
# tests from the Go module proxy, once, into ${FLINK_HA_CACHE:-~/.cache/flink-ha-webhook}/k8s-<version>/
# (outside the repo: the binaries are ~600 MB). Idempotent: exits at once when all six binaries are
# present. A lock file keeps two runs (two test files, a test and the sandbox) from building at the
# same time; the loser waits and then finds the binaries. Progress goes to stderr, the full log to
# build.log in the cache. Prints the cache directory on stdout.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
# The versions are read from the Go modules themselves so they cannot drift from what is built.
k8s_version="$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ {print $2; exit}' "$here/k8s/go.mod")"
etcd_version="$(awk '$1 == "go.etcd.io/etcd/server/v3" && $2 ~ /^v/ {print $2; exit}' "$here/etcd/go.mod")"
cache_root="${FLINK_HA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flink-ha-webhook}"
out="$cache_root/k8s-$k8s_version-etcd-$etcd_version"

binaries=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet)
have_all() {
  local b
  for b in "${binaries[@]}"; do [[ -x "$out/$b" ]] || return 1; done
}

if have_all; then echo "$out"; exit 0; fi

command -v go >/dev/null || { echo "build-control-plane: Go is required (go 1.26+) to build kube-apiserver" >&2; exit 1; }
mkdir -p "$out"
exec 9>"$out/.lock"
if ! flock -n 9; then
  echo "build-control-plane: another build holds $out/.lock, waiting for it" >&2
  flock 9
fi
if have_all; then echo "$out"; exit 0; fi

log="$out/build.log"
start=$(date +%s)
echo "build-control-plane: building ${binaries[*]} ($k8s_version, etcd $etcd_version) into $out" >&2
echo "build-control-plane: the first build takes about 17 minutes on 2 cores; log: $log" >&2

# -mod=mod: the go.sum files are committed, but a missing entry should be fetched, not fail the run.
export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"
minor="${k8s_version#v1.}"; minor="${minor%%.*}"
build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
done

step() { # name, module dir, package, extra ldflags
  local name=$1 dir=$2 pkg=$3 flags=$4 t0
  [[ -x "$out/$name" ]] && return 0
  t0=$(date +%s)
  echo "build-control-plane: building $name ($pkg)..." >&2
  # nice: the build shares 2 cores with whatever else runs (other tests, editors).
  if ! (cd "$here/$dir" && nice -n 10 go build -trimpath -ldflags "$flags" -o "$out/$name.tmp" "$pkg") >>"$log" 2>&1; then
    echo "build-control-plane: building $name failed; last lines of $log:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  mv "$out/$name.tmp" "$out/$name" # atomic: a half-written binary is never taken as built
  echo "build-control-plane: $name built in $(( $(date +%s) - t0 ))s" >&2
}

step etcd etcd go.etcd.io/etcd/server/v3 "-s -w"
step kube-apiserver k8s k8s.io/kubernetes/cmd/kube-apiserver "$ldflags"
step kubectl k8s k8s.io/kubernetes/cmd/kubectl "$ldflags"
# The controllers the guards exist for (garbage collector, namespace controller) and the scheduler; the kubelet
# is built here too (a real node needs it), last because it is the slowest (~4 min with a warm build cache).
step kube-controller-manager k8s k8s.io/kubernetes/cmd/kube-controller-manager "$ldflags"
step kube-scheduler k8s k8s.io/kubernetes/cmd/kube-scheduler "$ldflags"
step kubelet k8s k8s.io/kubernetes/cmd/kubelet "$ldflags"

echo "build-control-plane: done in $(( $(date +%s) - start ))s" | tee -a "$log" >&2
echo "$out"
