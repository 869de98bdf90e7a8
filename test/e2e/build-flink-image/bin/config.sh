#!/usr/bin/env bash
# Our stand-in for flink-dist's bin/config.sh (flink-dist is not on Maven Central and Flink's own scripts are not
# vendored here): the few functions the Kubernetes entrypoints below need, doing what Flink's do. Sourced.
FLINK_HOME="${FLINK_HOME:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
FLINK_BIN_DIR="$FLINK_HOME/bin"
FLINK_LIB_DIR="$FLINK_HOME/lib"
FLINK_CONF_DIR="${FLINK_CONF_DIR:-$FLINK_HOME/conf}"
FLINK_LOG_DIR="${FLINK_LOG_DIR:-$FLINK_HOME/log}"
JAVA_RUN="${JAVA_HOME:+$JAVA_HOME/bin/}java"
# The entrypoints read these from the environment (FLINK_CONF_DIR is required; FLINK_LIB_DIR locates usrlib/ and
# plugins/), as Flink's scripts export them.
FLINK_PLUGINS_DIR="${FLINK_PLUGINS_DIR:-$FLINK_HOME/plugins}"
export FLINK_HOME FLINK_BIN_DIR FLINK_LIB_DIR FLINK_CONF_DIR FLINK_LOG_DIR FLINK_PLUGINS_DIR

# lib/*.jar with flink-dist last, as Flink's constructFlinkClassPath orders it.
constructFlinkClassPath() {
  local cp="" dist="" jar
  for jar in "$FLINK_LIB_DIR"/*.jar; do
    case "$(basename "$jar")" in flink-dist*) dist="$jar" ;; *) cp="${cp:+$cp:}$jar" ;; esac
  done
  [[ -n "$dist" ]] || { echo "[ERROR] Flink distribution jar not found in $FLINK_LIB_DIR." >&2; exit 1; }
  echo "$cp:$dist"
}

# runBashJavaUtils COMMAND [-D key=value...]: Flink's BashJavaUtils (flink-runtime) on the conf dir; prints the
# lines it marks as results. Exits on failure with its output, as Flink's scripts do.
runBashJavaUtils() {
  local cmd=$1 out
  shift
  if ! out="$("$JAVA_RUN" -classpath "$FLINK_BIN_DIR/bash-java-utils.jar:$(constructFlinkClassPath)" \
      org.apache.flink.runtime.util.bash.BashJavaUtils "$cmd" --configDir "$FLINK_CONF_DIR" "$@" 2>&1)"; then
    echo "[ERROR] BashJavaUtils $cmd failed:" >&2
    echo "$out" >&2
    exit 1
  fi
  echo "$out" | sed -n 's/^BASH_JAVA_UTILS_EXEC_RESULT://p'
}

# The effective configuration as flat "key: value" lines (BashJavaUtils prints it as nested standard YAML).
flatConfig() {
  runBashJavaUtils UPDATE_AND_GET_FLINK_CONFIGURATION | awk '
    /^[[:space:]]*(#|-|$)/ { next }
    {
      match($0, /^ */); depth = RLENGTH / 2
      line = substr($0, RLENGTH + 1); i = index(line, ":")
      key = substr(line, 1, i - 1); value = substr(line, i + 1); sub(/^ +/, "", value)
      path[depth] = key; full = path[0]
      for (d = 1; d <= depth; d++) full = full "." path[d]
      if (value != "") print full ": " value
    }'
}

# readFromConfig KEY DEFAULT FLAT_CONFIG
readFromConfig() {
  local value
  value="$(printf '%s\n' "$3" | sed -n "s/^$1: //p" | tail -n 1)"
  value="${value#\"}"; value="${value%\"}"; value="${value#\'}"; value="${value%\'}"
  echo "${value:-$2}"
}

# javaOpts ROLE FLAT_CONFIG: env.java.default-opts.all, env.java.opts.all, then the role's (Flink's order).
javaOpts() {
  echo "$(readFromConfig env.java.default-opts.all "" "$2") $(readFromConfig env.java.opts.all "" "$2")" \
    "$(readFromConfig "env.java.default-opts.$1" "" "$2") $(readFromConfig "env.java.opts.$1" "" "$2")"
}
