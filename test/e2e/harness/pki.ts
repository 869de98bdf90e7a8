// The control plane's own throw-away PKI: a CA, kube-apiserver's serving cert, client certs for the admin (in
// system:masters), kube-controller-manager and kube-scheduler, and the ServiceAccount token signing key. Made with the openssl CLI (Debian's, always on the
// machine); EC P-256 keys so that the whole set takes a few tens of milliseconds.
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Pki {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  /** CN system:kube-controller-manager: the user the bootstrap RBAC policy grants the controllers' rights. */
  controllerManagerCert: string;
  controllerManagerKey: string;
  /** CN system:kube-scheduler, likewise. */
  schedulerCert: string;
  schedulerKey: string;
  saKey: string;
  saPub: string;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

async function ecKey(dir: string, file: string): Promise<void> {
  await openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file]);
}

async function signed(
  dir: string,
  name: string,
  subject: string,
  extensions: string,
  ca = 'ca',
): Promise<void> {
  await ecKey(dir, `${name}.key`);
  await openssl(dir, ['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`]);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  await openssl(dir, [
    // A random serial per certificate: -CAcreateserial shares one ca.srl file between the signings that run in
    // parallel below, and a half-written ca.srl fails one of them ("a2i_ASN1_INTEGER: short line").
    'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-set_serial', `0x${randomBytes(16).toString('hex')}`,
    '-days', '2', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.crt`,
  ]);
}

const clientExtensions = ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth'].join('\n');

async function selfSignedCa(dir: string, name: string, cn: string): Promise<void> {
  await ecKey(dir, `${name}.key`);
  await openssl(dir, [
    'req', '-x509', '-new', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-days', '2', '-sha256',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-out', `${name}.crt`,
  ]);
}

/** Creates the PKI in `dir` and returns the paths. */
export async function makePki(dir: string): Promise<Pki> {
  await selfSignedCa(dir, 'ca', 'flink-ha-e2e-ca');
  await Promise.all([
    signed(
      dir,
      'apiserver',
      '/CN=kube-apiserver',
      [
        'basicConstraints=CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth',
        'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc',
      ].join('\n'),
    ),
    signed(
      dir,
      'admin',
      '/O=system:masters/CN=e2e-admin',
      clientExtensions,
    ),
    signed(dir, 'controller-manager', '/CN=system:kube-controller-manager', clientExtensions),
    signed(dir, 'scheduler', '/CN=system:kube-scheduler', clientExtensions),
    ecKey(dir, 'sa.key').then(() => openssl(dir, ['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'])),
  ]);
  return {
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    serverCert: join(dir, 'apiserver.crt'),
    serverKey: join(dir, 'apiserver.key'),
    adminCert: join(dir, 'admin.crt'),
    adminKey: join(dir, 'admin.key'),
    controllerManagerCert: join(dir, 'controller-manager.crt'),
    controllerManagerKey: join(dir, 'controller-manager.key'),
    schedulerCert: join(dir, 'scheduler.crt'),
    schedulerKey: join(dir, 'scheduler.key'),
    saKey: join(dir, 'sa.key'),
    saPub: join(dir, 'sa.pub'),
  };
}

export interface WebhookClientPki {
  /** The CA the webhook trusts for client certificates (its tls.clientCaFile): its own, not the cluster's, so
   * that no other holder of a cluster certificate (admin, kubelets, controllers) counts as the API server. */
  caCert: string;
  /** The API server's client certificate for webhook calls (its AdmissionConfiguration's kubeconfig). */
  cert: string;
  key: string;
}

/** A CA for webhook client certificates and the API server's certificate from it, in `dir`. */
export async function makeWebhookClientPki(dir: string): Promise<WebhookClientPki> {
  await selfSignedCa(dir, 'webhook-client-ca', 'flink-ha-e2e-webhook-client-ca');
  await signed(dir, 'apiserver-webhook-client', '/CN=kube-apiserver-webhook-client', clientExtensions, 'webhook-client-ca');
  return { caCert: join(dir, 'webhook-client-ca.crt'), cert: join(dir, 'apiserver-webhook-client.crt'), key: join(dir, 'apiserver-webhook-client.key') };
}

/**
 * The API server's --admission-control-config-file: both webhook admission plugins read one kubeconfig whose
 * user `*` (every webhook host) presents `client`. Returns the AdmissionConfiguration's path.
 */
export function writeAdmissionConfiguration(dir: string, client: WebhookClientPki): string {
  const kubeconfig = join(dir, 'webhook-client-kubeconfig.yaml');
  const b64 = (file: string) => readFileSync(file).toString('base64');
  writeFileSync(kubeconfig, [
    'apiVersion: v1',
    'kind: Config',
    'users:',
    "- name: '*'",
    '  user:',
    `    client-certificate-data: ${b64(client.cert)}`,
    `    client-key-data: ${b64(client.key)}`,
    '',
  ].join('\n'), { mode: 0o600 });
  const config = join(dir, 'admission-configuration.yaml');
  const plugin = (name: string) => [
    `- name: ${name}`,
    '  configuration:',
    '    apiVersion: apiserver.config.k8s.io/v1',
    '    kind: WebhookAdmissionConfiguration',
    `    kubeConfigFile: ${kubeconfig}`,
  ];
  writeFileSync(config, ['apiVersion: apiserver.config.k8s.io/v1', 'kind: AdmissionConfiguration', 'plugins:',
    ...plugin('ValidatingAdmissionWebhook'), ...plugin('MutatingAdmissionWebhook'), ''].join('\n'));
  return config;
}

export interface NodePki {
  /** The kubelet's client cert: `system:node:<name>` in `system:nodes`, as the Node authorizer and NodeRestriction
   * expect. */
  kubeletClientCert: string;
  kubeletClientKey: string;
  /** The kubelet's serving cert (SAN = the node IP): the API server checks it with --kubelet-certificate-authority
   * when it calls the kubelet for logs, exec and port-forward. */
  kubeletServingCert: string;
  kubeletServingKey: string;
}

/** A node's certificates, signed by the control plane's CA in `dir` (the dir makePki wrote). */
export async function makeNodePki(dir: string, nodeName: string, nodeIp: string): Promise<NodePki> {
  await Promise.all([
    signed(
      dir,
      'kubelet-client',
      `/O=system:nodes/CN=system:node:${nodeName}`,
      ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth'].join('\n'),
    ),
    signed(
      dir,
      'kubelet-serving',
      `/CN=system:node:${nodeName}`,
      [
        'basicConstraints=CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth',
        `subjectAltName=IP:${nodeIp},DNS:${nodeName}`,
      ].join('\n'),
    ),
  ]);
  return {
    kubeletClientCert: join(dir, 'kubelet-client.crt'),
    kubeletClientKey: join(dir, 'kubelet-client.key'),
    kubeletServingCert: join(dir, 'kubelet-serving.crt'),
    kubeletServingKey: join(dir, 'kubelet-serving.key'),
  };
}

/** A kubeconfig for the admin, with everything inline so that it works from any directory. */
export function adminKubeconfig(pki: Pki, server: string): string {
  return clientCertKubeconfig(pki, server, 'e2e-admin', pki.adminCert, pki.adminKey);
}

/** A kubeconfig that authenticates with a client certificate of this PKI, everything inline. */
export function clientCertKubeconfig(pki: Pki, server: string, user: string, cert: string, key: string): string {
  const b64 = (file: string) => readFileSync(file).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: flink-ha-e2e',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${b64(pki.caCert)}`,
    'users:',
    `- name: ${user}`,
    '  user:',
    `    client-certificate-data: ${b64(cert)}`,
    `    client-key-data: ${b64(key)}`,
    'contexts:',
    '- name: flink-ha-e2e',
    '  context:',
    '    cluster: flink-ha-e2e',
    `    user: ${user}`,
    '    namespace: default',
    'current-context: flink-ha-e2e',
    '',
  ].join('\n');
}
