#!/usr/bin/env bash
# Our stand-in for Flink's kubernetes-bin/kubernetes-taskmanager.sh: what native Kubernetes mode runs in a
# TaskManager Pod (`kubernetes-taskmanager.sh -D...`, the resources the ResourceManager decided). Like Flink's: JVM
# flags and the remaining memory options from BashJavaUtils GET_TM_RESOURCE_PARAMS, then KubernetesTaskExecutorRunner.
. "$(dirname "${BASH_SOURCE[0]}")/config.sh"
params="$(runBashJavaUtils GET_TM_RESOURCE_PARAMS "$@")" || exit 1
jvm_params="$(sed -n 1p <<<"$params")"
dynamic="$(sed -n 2p <<<"$params")"
config="$(flatConfig "$@")" || exit 1
mkdir -p "$FLINK_LOG_DIR"
log="$FLINK_LOG_DIR/flink--kubernetes-taskmanager-$(hostname).log"
# shellcheck disable=SC2046,SC2086
exec "$JAVA_RUN" $jvm_params $JVM_ARGS $(javaOpts taskmanager "$config") \
  -Dlog.file="$log" -Dlog4j.configuration="file:$FLINK_CONF_DIR/log4j-console.properties" \
  -Dlog4j.configurationFile="file:$FLINK_CONF_DIR/log4j-console.properties" \
  -classpath "$(constructFlinkClassPath)" org.apache.flink.kubernetes.taskmanager.KubernetesTaskExecutorRunner \
  --configDir "$FLINK_CONF_DIR" "$@" $dynamic
