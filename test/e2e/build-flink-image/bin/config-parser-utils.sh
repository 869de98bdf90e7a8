#!/usr/bin/env bash
# Our stand-in for Flink's bin/config-parser-utils.sh, which flink-docker's docker-entrypoint.sh calls to write
# `-Dkey=value` options into conf/config.yaml: BashJavaUtils UPDATE_AND_GET_FLINK_CONFIGURATION, then the file.
# In native Kubernetes mode conf/ is a read-only ConfigMap mount: like Flink's, the write then fails with a message
# and the entrypoint goes on (the operator's ConfigMap already holds the configuration).
# Usage: config-parser-utils.sh CONF_DIR BIN_DIR LIB_DIR -Dkey=value...
[[ $# -ge 3 ]] || { echo "Usage: config-parser-utils.sh CONF_DIR BIN_DIR LIB_DIR [-Dkey=value...]" >&2; exit 1; }
FLINK_CONF_DIR=$1
shift 3
. "$(dirname "${BASH_SOURCE[0]}")/config.sh"
result="$(runBashJavaUtils UPDATE_AND_GET_FLINK_CONFIGURATION "$@")" || exit 1
if ! printf '%s\n' "$result" 2>/dev/null >"$FLINK_CONF_DIR/config.yaml"; then
  echo "config-parser-utils: $FLINK_CONF_DIR/config.yaml is not writable (a ConfigMap mount?); left as it is" >&2
  exit 1
fi
