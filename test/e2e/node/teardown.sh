#!/usr/bin/env bash
# Records and removes what a real e2e node leaves outside its temp dir (see ../../../docs/e2e.md, "Real node").
#   teardown.sh record DIR   before the node starts: what already exists (so that only the node's own is removed)
#   teardown.sh clean DIR    after (or instead of) an orderly stop: processes, mounts, bridge, chains, cgroups, files
#   teardown.sh debris       every /tmp/flink-ha-node-* whose owner process is gone: clean, then remove the dir
# Used by node.ts's stop(), by the exit hook, by the watchdog when the test process is killed, and at start.
# Idempotent; never stops at an error. Processes are ended by PID: those listed in DIR/pgids (kubelet,
# containerd), shims whose -address is DIR's socket, and the processes in the kubepods/k8s.io cgroups.
set -uo pipefail

BRIDGE=flinkha0
CHAINS=(FLINKHA-NODE-DNAT FLINKHA-NODE-FWD FLINKHA-NODE-OUT FLINKHA-EGRESS FLINKHA-EGRESS-FWD KUBE-FIREWALL KUBE-KUBELET-CANARY KUBE-IPTABLES-HINT)

record() {
  local dir="$1" s="$1/state"
  mkdir -p "$s"
  cat /proc/sys/net/ipv4/ip_forward > "$s/ip_forward"
  [ -d /run/containerd ] && echo 1 > "$s/run-containerd-existed" || echo 0 > "$s/run-containerd-existed"
  ls -A /run/containerd/s 2>/dev/null > "$s/run-containerd-s" || true
  ls -A /run/netns 2>/dev/null > "$s/netns" || true
  [ -d /var/lib/kubelet ] && echo 1 > "$s/var-lib-kubelet-existed" || echo 0 > "$s/var-lib-kubelet-existed"
  [ -d /var/lib/kubelet/device-plugins ] && echo 1 > "$s/device-plugins-existed" || echo 0 > "$s/device-plugins-existed"
  [ -d /var/lib/cni ] && echo 1 > "$s/var-lib-cni-existed" || echo 0 > "$s/var-lib-cni-existed"
  ls -A /var/lib/cni/results 2>/dev/null > "$s/cni-results" || true
  if command -v nft >/dev/null; then nft list tables > "$s/nft-tables" 2>/dev/null || true; fi
}

# Lines of $2 (a file of names) that $1 does not contain.
is_listed() { [ -f "$2" ] && grep -qxF -- "$1" "$2"; }

kill_pids() { for pid in "$@"; do kill -KILL "$pid" 2>/dev/null; done; }

# The processes of this node's Pods: those in the cgroups of the Pod UIDs its kubelet knows (root-dir/pods), plus
# those left under k8s.io (containerd's default parent) when no other node runs.
cgroup_pids() {
  local dir="$1" others="$2" uids=() args=()
  for u in $(ls -A "$dir/kubelet/pods" 2>/dev/null); do uids+=("$u" "${u//-/_}"); done
  for u in "${uids[@]}"; do args+=(-o -path "*/kubepods*/pod$u*"); done
  [ "$others" = 0 ] && args+=(-o -path '*/k8s.io*')
  [ "${#args[@]}" -eq 0 ] && return 0
  for c in /sys/fs/cgroup/*/; do
    find "$c" -mindepth 1 -type d \( "${args[@]:1}" \) -exec cat {}/cgroup.procs \; 2>/dev/null
  done | sort -u
}

# Another node whose owner still runs (a node started after this one's owner died): leave what is shared by name
# (bridge, chains, the kubepods cgroups, ip_forward, files in fixed places) to it.
other_live_nodes() {
  local n=0
  for d in /tmp/flink-ha-node-*; do
    [ "$d" = "$1" ] || [ ! -d "$d" ] && continue
    owner="$(cat "$d/owner.pid" 2>/dev/null)"
    [ -n "$owner" ] && kill -0 "$owner" 2>/dev/null && n=$((n + 1))
  done
  echo "$n"
}

clean() {
  local dir="$1" s="$1/state" sock="$1/containerd/containerd.sock" others
  others="$(other_live_nodes "$dir")"
  # 1. kubelet and containerd (their process groups), then the shims of this containerd, then the containers.
  if [ -f "$dir/pgids" ]; then
    for g in $(cat "$dir/pgids"); do kill -TERM -- "-$g" 2>/dev/null; done
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      alive=0; for g in $(cat "$dir/pgids"); do kill -0 -- "-$g" 2>/dev/null && alive=1; done
      [ "$alive" = 0 ] && break; sleep 0.3
    done
    for g in $(cat "$dir/pgids"); do kill -KILL -- "-$g" 2>/dev/null; done
  fi
  local shims=()
  for p in /proc/[0-9]*; do
    cmd="$(tr '\0' ' ' < "$p/cmdline" 2>/dev/null)" || continue
    case "$cmd" in *containerd-shim*"-address $sock "*) shims+=("${p#/proc/}") ;; esac
  done
  kill_pids "${shims[@]}"
  for _ in 1 2 3; do
    pids="$(cgroup_pids "$dir" "$others")"; [ -z "$pids" ] && break
    # shellcheck disable=SC2086
    kill_pids $pids; sleep 0.3
  done
  # 2. mounts under the dir (overlay rootfs, shm, projected volumes), deepest first; containerd's netns mounts.
  awk -v d="$dir/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  for ns in $(ls -A /run/netns 2>/dev/null); do
    case "$ns" in cni-*) is_listed "$ns" "$s/netns" || { umount -l "/run/netns/$ns" 2>/dev/null; rm -f "/run/netns/$ns"; } ;; esac
  done
  [ -d /run/netns ] && [ -z "$(ls -A /run/netns)" ] && [ ! -s "$s/netns" ] && rmdir /run/netns 2>/dev/null
  [ -f "$s/cgroup" ] && rmdir "/sys/fs/cgroup/unified/$(cat "$s/cgroup")" 2>/dev/null
  if [ "$others" != 0 ]; then
    echo "teardown.sh: another node runs; $dir cleaned of its own processes and mounts only" >&2
    return 0
  fi
  # 3. network: bridge (route_localnet goes with it), the harness's and the kubelet's iptables chains, conntrack.
  ip link del "$BRIDGE" 2>/dev/null
  for cmd in iptables ip6tables; do
    for t in filter nat mangle; do
      for chain in "${CHAINS[@]}"; do
        "$cmd-save" -t "$t" 2>/dev/null | grep -E -- "^-A [A-Z]+ .*-j $chain( |\$)" | while read -r rule; do
          eval "$cmd -w -t $t -D ${rule#-A }" 2>/dev/null
        done
        "$cmd" -w -t "$t" -F "$chain" 2>/dev/null && "$cmd" -w -t "$t" -X "$chain" 2>/dev/null
      done
    done
  done
  conntrack -D -d 10.0.0.1 >/dev/null 2>&1
  if command -v nft >/dev/null; then
    nft list tables 2>/dev/null | while read -r _ family name; do
      is_listed "table $family $name" "$s/nft-tables" && continue
      # empty: nothing but the table, its chains and base chains that accept (a `policy drop` is not empty)
      [ "$(nft list table "$family" "$name" 2>/dev/null | grep -cvE '^\s*(table |chain |type .*policy accept;\s*$|\}|$)')" = 0 ] &&
        nft delete table "$family" "$name"
    done
  fi
  [ -f "$s/ip_forward" ] && cat "$s/ip_forward" > /proc/sys/net/ipv4/ip_forward
  # 4. cgroups: kubepods* and k8s.io* under every controller, deepest first; the node's own cgroup2 dir.
  for c in /sys/fs/cgroup/*/; do
    find "$c" -mindepth 1 -depth -type d \( -name 'kubepods*' -o -name 'k8s.io*' -o -path '*/kubepods*' -o -path '*/k8s.io*' \) \
      -exec rmdir {} \; 2>/dev/null
  done
  # 5. files the components write to fixed places.
  if [ "$(cat "$s/run-containerd-existed" 2>/dev/null)" = 0 ]; then rm -rf /run/containerd
  else for e in $(ls -A /run/containerd/s 2>/dev/null); do is_listed "$e" "$s/run-containerd-s" || rm -f "/run/containerd/s/$e"; done
  fi
  if [ "$(cat "$s/var-lib-kubelet-existed" 2>/dev/null)" = 0 ]; then rm -rf /var/lib/kubelet
  elif [ "$(cat "$s/device-plugins-existed" 2>/dev/null)" = 0 ]; then rm -rf /var/lib/kubelet/device-plugins
  fi
  if [ "$(cat "$s/var-lib-cni-existed" 2>/dev/null)" = 0 ]; then rm -rf /var/lib/cni
  else for e in $(ls -A /var/lib/cni/results 2>/dev/null); do is_listed "$e" "$s/cni-results" || rm -f "/var/lib/cni/results/$e"; done
  fi
  return 0
}

debris() {
  for dir in /tmp/flink-ha-node-*; do
    [ -d "$dir" ] || continue
    owner="$(cat "$dir/owner.pid" 2>/dev/null)"
    if [ -n "$owner" ] && kill -0 "$owner" 2>/dev/null; then
      echo "teardown.sh: a node of live process $owner is running ($dir)" >&2; exit 2
    fi
    echo "teardown.sh: cleaning debris of an earlier run: $dir" >&2
    clean "$dir"
    rm -rf "$dir"
  done
}

case "${1:-}" in
  record) record "$2" ;;
  clean) clean "$2" ;;
  debris) debris ;;
  *) echo "usage: teardown.sh record DIR | clean DIR | debris" >&2; exit 64 ;;
esac
