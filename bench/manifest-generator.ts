// Generates a large, realistic manifest set for the dry-run and audit benchmarks: a mix of FlinkDeployments
// (flat and nested config), standalone JobManager Deployments and Jobs, TaskManagers, config ConfigMaps, HA
// ConfigMaps and unrelated objects, about 2 KB each, spread over namespaces.
import yaml from 'js-yaml';
import type { KubeObject } from '../src/kube/objects.ts';

export function generateManifests(count: number): KubeObject[] {
  const out: KubeObject[] = [];
  for (let i = 0; out.length < count; i++) {
    const ns = `team-${i % 50}`;
    const id = `job-${i}`;
    const labels = { app: id, team: `team-${i % 50}`, 'app.kubernetes.io/part-of': 'streaming-platform' };
    const pod = (role: string, args: string[]) => ({
      metadata: { labels: { ...labels, component: role }, annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9249', 'kubectl.kubernetes.io/default-container': role, 'example.com/owner': 'streaming-platform@example.com', 'example.com/runbook': 'https://runbooks.example.com/flink/jobmanager-failover' } },
      spec: {
        containers: [{
          name: role, image: 'flink:1.20.1-scala_2.12-java17', args,
          env: [{ name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } }, { name: 'TZ', value: 'UTC' }, { name: 'JAVA_TOOL_OPTIONS', value: '-XX:+UseG1GC -XX:MaxGCPauseMillis=200 -XX:+ExitOnOutOfMemoryError' }, { name: 'ENABLE_BUILT_IN_PLUGINS', value: 'flink-s3-fs-presto-1.20.1.jar;flink-azure-fs-hadoop-1.20.1.jar' }],
          readinessProbe: { httpGet: { path: '/overview', port: 8081 }, initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 6 },
          ports: [{ containerPort: 6123, name: 'rpc' }, { containerPort: 6124, name: 'blob-server' }, { containerPort: 8081, name: 'webui' }],
          resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '2Gi' } },
          livenessProbe: { tcpSocket: { port: 6123 }, initialDelaySeconds: 30, periodSeconds: 60 },
          volumeMounts: [{ name: 'flink-config-volume', mountPath: '/opt/flink/conf' }],
          securityContext: { runAsUser: 9999, allowPrivilegeEscalation: false },
        }],
        volumes: [{ name: 'flink-config-volume', configMap: { name: `${id}-config`, items: [{ key: 'flink-conf.yaml', path: 'flink-conf.yaml' }, { key: 'log4j-console.properties', path: 'log4j-console.properties' }] } }],
        affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: id, component: role } } } }] } },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'streaming', effect: 'NoSchedule' }],
        nodeSelector: { 'node.kubernetes.io/instance-type': 'm6i.2xlarge', 'topology.kubernetes.io/zone': `eu-west-1${'abc'[i % 3]}` },
      },
    });
    const meta = (name: string) => ({ name, namespace: ns, labels });
    out.push(
      { apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkDeployment', metadata: meta(`${id}-fd`), spec: { image: 'flink:2.2', flinkVersion: 'v2_2', serviceAccount: 'flink', flinkConfiguration: i % 2 ? { 'taskmanager.numberOfTaskSlots': '2', 'state.checkpoints.dir': `s3://ckpt/${id}`, 'execution.checkpointing.interval': '60s' } : { taskmanager: { numberOfTaskSlots: 2 }, 'high-availability': { type: 'kubernetes', storageDir: `s3://ha/${id}` } }, jobManager: { resource: { memory: '2048m', cpu: 1 } }, taskManager: { resource: { memory: '4096m', cpu: 2 } }, job: { jarURI: 'local:///opt/flink/usrlib/job.jar', parallelism: 4, upgradeMode: 'last-state' } } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(`${id}-config`), data: { 'flink-conf.yaml': `jobmanager.rpc.address: ${id}-jobmanager\ntaskmanager.numberOfTaskSlots: 2\nblob.server.port: 6124\njobmanager.rpc.port: 6123\ntaskmanager.rpc.port: 6122\njobmanager.memory.process.size: 1600m\ntaskmanager.memory.process.size: 1728m\nparallelism.default: 2\nstate.backend.type: rocksdb\nstate.checkpoints.dir: s3://checkpoints/${ns}/${id}\nstate.savepoints.dir: s3://savepoints/${ns}/${id}\nexecution.checkpointing.interval: 60s\nrestart-strategy.type: exponential-delay\nmetrics.reporter.prom.factory.class: org.apache.flink.metrics.prometheus.PrometheusReporterFactory\n`, 'log4j-console.properties': 'rootLogger.level = INFO\nrootLogger.appenderRef.console.ref = ConsoleAppender\nappender.console.name = ConsoleAppender\nappender.console.type = CONSOLE\nappender.console.layout.type = PatternLayout\nappender.console.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n\n' } },
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta(`${id}-jobmanager`), spec: { replicas: 1, selector: { matchLabels: { app: id, component: 'jobmanager' } }, template: pod('jobmanager', ['jobmanager', '$(POD_IP)']) } },
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta(`${id}-taskmanager`), spec: { replicas: 3, selector: { matchLabels: { app: id, component: 'taskmanager' } }, template: pod('taskmanager', ['taskmanager']) } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${id}-fd-cluster-config-map`, namespace: ns, labels: { app: `${id}-fd`, type: 'flink-native-kubernetes', 'configmap-type': 'high-availability' } }, data: { counter: '42', [`checkpointID-${String(41).padStart(19, '0')}`]: 'rO0ABXNyADtvcmcuYXBhY2hlLmZsaW5r' } },
      { apiVersion: 'v1', kind: 'Service', metadata: meta(`${id}-rest`), spec: { selector: { app: id, component: 'jobmanager' }, ports: [{ name: 'rest', port: 8081 }] } },
    );
  }
  return out.slice(0, count);
}

export function toYaml(objects: KubeObject[]): string {
  return objects.map((o) => `---\n${yaml.dump(o, { lineWidth: -1 })}`).join('');
}
