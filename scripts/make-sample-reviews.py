# Writes the sample AdmissionReviews in test/fixtures/reviews/ (used by the README's curl example, the HTTP tests
# and bench/admission.bench.ts). Objects come from ../shared/upstream (named per review in test/fixtures/reviews/README.md).
import copy, json, os

out = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'reviews')
NS = 'flink-jobs'

def review(uid, kind, resource, op, obj, old=None, user='jane@example.com', groups=('system:authenticated',), dry=False, name=None, extra=None):
    g, _, v = kind[0].rpartition('/')
    rg, _, rv = resource[0].rpartition('/')
    o = obj or old
    return {
        'apiVersion': 'admission.k8s.io/v1', 'kind': 'AdmissionReview',
        'request': {
            'uid': uid,
            'kind': {'group': g, 'version': v, 'kind': kind[1]},
            'resource': {'group': rg, 'version': rv, 'resource': resource[1]},
            'requestKind': {'group': g, 'version': v, 'kind': kind[1]},
            'requestResource': {'group': rg, 'version': rv, 'resource': resource[1]},
            'name': name if name is not None else o['metadata'].get('name', ''),
            'namespace': o['metadata'].get('namespace', ''),
            'operation': op,
            'userInfo': {'username': user, 'groups': list(groups), **({'extra': extra} if extra else {})},
            'object': obj, 'oldObject': old, 'dryRun': dry,
            'options': {'apiVersion': 'meta.k8s.io/v1', 'kind': {'CREATE': 'CreateOptions', 'UPDATE': 'UpdateOptions', 'DELETE': 'DeleteOptions'}[op]},
        },
    }

# flink-docs/jobmanager-session-deployment-ha.yaml, its pod template as a Pod (image pinned, HA ServiceAccount unset).
jm_container = {
    'name': 'jobmanager', 'image': 'apache/flink:1.18.1-scala_2.12',
    'env': [{'name': 'POD_IP', 'valueFrom': {'fieldRef': {'apiVersion': 'v1', 'fieldPath': 'status.podIP'}}}],
    'args': ['jobmanager', '$(POD_IP)'],
    'ports': [{'containerPort': 6123, 'name': 'rpc'}, {'containerPort': 6124, 'name': 'blob-server'}, {'containerPort': 8081, 'name': 'webui'}],
    'livenessProbe': {'tcpSocket': {'port': 6123}, 'initialDelaySeconds': 30, 'periodSeconds': 60},
    'volumeMounts': [{'name': 'flink-config-volume', 'mountPath': '/opt/flink/conf'}],
    'securityContext': {'runAsUser': 9999},
    'resources': {'requests': {'cpu': '1', 'memory': '1600Mi'}, 'limits': {'memory': '1600Mi'}},
}
volumes = [{'name': 'flink-config-volume', 'configMap': {'name': 'flink-config', 'items': [
    {'key': 'flink-conf.yaml', 'path': 'flink-conf.yaml'}, {'key': 'log4j-console.properties', 'path': 'log4j-console.properties'}]}}]
pod = {
    'apiVersion': 'v1', 'kind': 'Pod',
    'metadata': {'generateName': 'flink-jobmanager-7d9c8f6b5-', 'namespace': NS, 'labels': {'app': 'flink', 'component': 'jobmanager', 'pod-template-hash': '7d9c8f6b5'},
                 'ownerReferences': [{'apiVersion': 'apps/v1', 'kind': 'ReplicaSet', 'name': 'flink-jobmanager-7d9c8f6b5', 'uid': '5b0e0c1e-3f0a-4c55-9d6c-1f6f3c1b2a10', 'controller': True, 'blockOwnerDeletion': True}]},
    'spec': {'containers': [jm_container], 'volumes': volumes, 'restartPolicy': 'Always', 'terminationGracePeriodSeconds': 30, 'dnsPolicy': 'ClusterFirst',
             'serviceAccountName': 'default', 'securityContext': {}, 'schedulerName': 'default-scheduler',
             'tolerations': [{'key': 'node.kubernetes.io/not-ready', 'operator': 'Exists', 'effect': 'NoExecute', 'tolerationSeconds': 300},
                             {'key': 'node.kubernetes.io/unreachable', 'operator': 'Exists', 'effect': 'NoExecute', 'tolerationSeconds': 300}]},
}
deployment = {
    'apiVersion': 'apps/v1', 'kind': 'Deployment',
    'metadata': {'name': 'flink-jobmanager', 'namespace': NS},
    'spec': {'replicas': 1, 'selector': {'matchLabels': {'app': 'flink', 'component': 'jobmanager'}},
             'template': {'metadata': {'labels': {'app': 'flink', 'component': 'jobmanager'}},
                          'spec': {'containers': [copy.deepcopy(jm_container)], 'serviceAccountName': 'flink-service-account', 'volumes': copy.deepcopy(volumes)}}},
}
# flink-kubernetes-operator/examples/basic.yaml (no HA): the mutating webhook's main customer.
fd = {
    'apiVersion': 'flink.apache.org/v1beta1', 'kind': 'FlinkDeployment',
    'metadata': {'name': 'basic-example', 'namespace': NS, 'generation': 1},
    'spec': {'image': 'flink:2.2', 'flinkVersion': 'v2_2', 'flinkConfiguration': {'taskmanager.numberOfTaskSlots': '2'}, 'serviceAccount': 'flink',
             'jobManager': {'resource': {'memory': '2048m', 'cpu': 1}}, 'taskManager': {'resource': {'memory': '2048m', 'cpu': 1}},
             'job': {'jarURI': 'local:///opt/flink/examples/streaming/StateMachineExample.jar', 'parallelism': 2, 'upgradeMode': 'stateless'}},
}
fd_new = copy.deepcopy(fd); fd_new['metadata']['generation'] = 2; fd_new['spec']['job']['parallelism'] = 4
# The HA ConfigMap Flink 1.15+ writes for cluster basic-example (labels and keys per FLINK-HA-FACTS.md).
ha_cm = {
    'apiVersion': 'v1', 'kind': 'ConfigMap',
    'metadata': {'name': 'basic-example-cluster-config-map', 'namespace': NS, 'resourceVersion': '48213',
                 'labels': {'app': 'basic-example', 'type': 'flink-native-kubernetes', 'configmap-type': 'high-availability'},
                 'annotations': {'control-plane.alpha.kubernetes.io/leader': '{"holderIdentity":"6f0c2b1e-4d7a-4d8e-9a51-2c7f0e3b9d44","leaseDuration":15.000000000,"acquireTime":"2026-11-25T03:10:11.000000Z","renewTime":"2026-11-25T04:00:01.000000Z","leaderTransitions":0}'}},
    'data': {'org.apache.flink.k8s.leader.dispatcher': 'akka.tcp://flink@10.244.0.17:6123/user/rpc/dispatcher_1',
             'org.apache.flink.k8s.leader.restserver': 'http://10.244.0.17:8081',
             'org.apache.flink.k8s.leader.resourcemanager': 'akka.tcp://flink@10.244.0.17:6123/user/rpc/resourcemanager_0',
             'jobGraph-2a7e0c5f1b3d4e6f8a9b0c1d2e3f4a5b': '{"location":"s3://flink-ha/basic-example/submittedJobGraph8c0f3b2a1d9e"}'},
}
ha_cm_stripped = copy.deepcopy(ha_cm)
ha_cm_stripped['data'] = {}  # a stale `kubectl apply` of an empty ConfigMap
ha_ns = {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': NS, 'labels': {'kubernetes.io/metadata.name': NS}}, 'spec': {'finalizers': ['kubernetes']}, 'status': {'phase': 'Active'}}

files = {
    'pod-create.json': review('0d1f1a5e-6f1b-4f4b-9c1a-000000000001', ('v1', 'Pod'), ('v1', 'pods'), 'CREATE', pod,
                              user='system:serviceaccount:kube-system:replicaset-controller', name=''),
    'deployment-create.json': review('0d1f1a5e-6f1b-4f4b-9c1a-000000000002', ('apps/v1', 'Deployment'), ('apps/v1', 'deployments'), 'CREATE', deployment),
    'flinkdeployment-create.json': review('0d1f1a5e-6f1b-4f4b-9c1a-000000000003', ('flink.apache.org/v1beta1', 'FlinkDeployment'), ('flink.apache.org/v1beta1', 'flinkdeployments'), 'CREATE', fd),
    'flinkdeployment-update.json': review('0d1f1a5e-6f1b-4f4b-9c1a-000000000004', ('flink.apache.org/v1beta1', 'FlinkDeployment'), ('flink.apache.org/v1beta1', 'flinkdeployments'), 'UPDATE', fd_new, fd),
    'ha-configmap-update.json': review('0d1f1a5e-6f1b-4f4b-9c1a-000000000005', ('v1', 'ConfigMap'), ('v1', 'configmaps'), 'UPDATE', ha_cm_stripped, ha_cm),
    'ha-configmap-delete.json': review('0d1f1a5e-6f1b-4f4b-9c1a-000000000006', ('v1', 'ConfigMap'), ('v1', 'configmaps'), 'DELETE', None, ha_cm),
    'ha-configmap-delete-dry-run.json': review('0d1f1a5e-6f1b-4f4b-9c1a-000000000007', ('v1', 'ConfigMap'), ('v1', 'configmaps'), 'DELETE', None, ha_cm, dry=True),
    'ha-configmap-delete-by-flink.json': review('0d1f1a5e-6f1b-4f4b-9c1a-000000000008', ('v1', 'ConfigMap'), ('v1', 'configmaps'), 'DELETE', None, ha_cm,
                                                user=f'system:serviceaccount:{NS}:flink', groups=('system:serviceaccounts', f'system:serviceaccounts:{NS}', 'system:authenticated'),
                                                # a pod's own token: the API server names the pod it is bound to
                                                extra={'authentication.kubernetes.io/pod-name': ['flink-jobmanager-7d9c8f6b5-x2x7q'],
                                                       'authentication.kubernetes.io/pod-uid': ['8e3c0b7a-2b7f-4c9a-8e1d-3f6b2a9c4e70']}),
    'namespace-delete.json': review('0d1f1a5e-6f1b-4f4b-9c1a-000000000009', ('v1', 'Namespace'), ('v1', 'namespaces'), 'DELETE', None, ha_ns),
}
for name, body in files.items():
    if body['request']['resource']['resource'] == 'namespaces':
        body['request']['namespace'] = ''
    with open(os.path.join(out, name), 'w') as f:
        json.dump(body, f, indent=2)
        f.write('\n')
