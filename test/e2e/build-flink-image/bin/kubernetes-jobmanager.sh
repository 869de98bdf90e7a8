#!/usr/bin/env bash
# Our stand-in for Flink's kubernetes-bin/kubernetes-jobmanager.sh: what native Kubernetes mode runs in the
# JobManager container (`kubernetes-jobmanager.sh kubernetes-session|kubernetes-application`). Like Flink's: JVM
# memory flags from BashJavaUtils GET_JM_RESOURCE_PARAMS, the env.java.* options, log4j-console.properties, then
# the entrypoint class in the foreground.
. "$(dirname "${BASH_SOURCE[0]}")/config.sh"
case "${1:-}" in
  kubernetes-session) class=org.apache.flink.kubernetes.entrypoint.KubernetesSessionClusterEntrypoint ;;
  kubernetes-application) class=org.apache.flink.kubernetes.entrypoint.KubernetesApplicationClusterEntrypoint ;;
  *) echo "Usage: kubernetes-jobmanager.sh (kubernetes-session|kubernetes-application) [args]" >&2; exit 1 ;;
esac
target=$1
shift
params="$(runBashJavaUtils GET_JM_RESOURCE_PARAMS "$@")" || exit 1
jvm_params="$(sed -n 1p <<<"$params")"
dynamic="$(sed -n 2p <<<"$params")"
config="$(flatConfig)" || exit 1
mkdir -p "$FLINK_LOG_DIR"
log="$FLINK_LOG_DIR/flink--$target-$(hostname).log"
# shellcheck disable=SC2046,SC2086 # word splitting of the option lists is intended, as in Flink's scripts
exec "$JAVA_RUN" $jvm_params $JVM_ARGS $(javaOpts jobmanager "$config") \
  -Dlog.file="$log" -Dlog4j.configuration="file:$FLINK_CONF_DIR/log4j-console.properties" \
  -Dlog4j.configurationFile="file:$FLINK_CONF_DIR/log4j-console.properties" \
  -classpath "$(constructFlinkClassPath)" "$class" "$@" $dynamic
