// manifests/cert-manager/ against a real cert-manager (v1.21.2 controller + cainjector built from Go modules,
// harness/cert-manager.ts) and the real API server, with no node: the CA and the serving certificate issued, the
// CA injected into both webhook configurations, the local webhook serving the issued pair and trusted by the API
// server through that injected caBundle, and a renewal picked up with no failed admission.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import {
  createFlinkNamespace,
  manifestWebhookConfigurations,
  REPO_ROOT,
  startCertManager,
  startControlPlane,
  startWebhook,
  type CertManager,
  type ControlPlane,
  type Webhook,
} from './harness/index.ts';
import { startAdmissionLoad } from './harness/admission-load.ts';
import { guardedProbe } from './harness/in-cluster.ts';
import { waitFor } from './harness/processes.ts';

const WEBHOOK_NS = 'flink-ha-webhook';
const CERTIFICATE = 'flink-ha-webhook-serving';
const SECRET = 'flink-ha-webhook-tls';
const CONFIGURATIONS = ['mutatingwebhookconfiguration/flink-ha-webhook', 'validatingwebhookconfiguration/flink-ha-webhook'];
const NS = 'cert-manager-e2e';
const LOAD_NS = 'cert-manager-e2e-load';
const HA_FIXTURE = join(import.meta.dirname, 'fixtures', 'ha-configmaps.yaml');
const LEADER_CM = 'demo-cluster-config-map';

// Objects are read back as JSON and walked by path.
type Json = any;

interface Issued {
  files: Record<'tls.crt' | 'tls.key' | 'ca.crt', string>;
  leaf: X509Certificate;
  ca: X509Certificate;
}

describe('cert-manager: manifests/cert-manager/ issued, injected and renewed by a real cert-manager', () => {
  let plane: ControlPlane;
  let certManager: CertManager | undefined;
  let webhook: Webhook | undefined;
  let issued: Issued & { revision: number };
  let injectedCa = '';
  let revision = 0;
  /** What the webhook's cert dir holds (writeSecretVolume). */
  let written: Issued;
  let webhookCount = 0;

  const getJson = async (resource: string, ns = WEBHOOK_NS): Promise<Json> =>
    JSON.parse(await plane.kubectlOk(['get', resource, '-n', ns, '-o', 'json']));
  const readSecret = async (): Promise<Issued> => {
    const data = (await getJson(`secret/${SECRET}`)).data as Record<string, string>;
    const file = (k: string) => Buffer.from(data[k] ?? '', 'base64').toString('utf8');
    const files = { 'tls.crt': file('tls.crt'), 'tls.key': file('tls.key'), 'ca.crt': file('ca.crt') };
    return { files, leaf: new X509Certificate(files['tls.crt']), ca: new X509Certificate(files['ca.crt']) };
  };
  const caBundles = async (): Promise<string[]> => {
    const bundles: string[] = [];
    for (const config of CONFIGURATIONS) {
      for (const w of (await getJson(config, 'default')).webhooks as Json[]) bundles.push(String(w.clientConfig.caBundle ?? ''));
    }
    return bundles;
  };
  const waitForSerialChange = (from: string, what: string) =>
    waitFor(what, async () => {
      const now = await readSecret();
      return serial(now.leaf.serialNumber) !== serial(from) ? now : undefined;
    }, { timeoutMs: 60_000, alive: certManager!.controller });

  /**
   * The Secret once the Certificate has settled: Ready for its current generation, not Issuing, and the same
   * serial and revision on two polls a second apart. cert-manager's trigger controller sometimes decides twice
   * on one change (its two reconciles 20 ms apart, the second from a cache that has not seen the first
   * issuance yet) and issues again right after: the Secret is only taken as final when that is over.
   */
  const settled = (what: string): Promise<Issued & { revision: number }> => {
    let last = '';
    return waitFor(what, async () => {
      const crt = await getJson(`certificate/${CERTIFICATE}`);
      const conditions = (crt.status?.conditions ?? []) as Json[];
      const ready = conditions.some((c) => c.type === 'Ready' && c.status === 'True' && c.observedGeneration === crt.metadata.generation);
      const issuing = conditions.some((c) => c.type === 'Issuing' && c.status === 'True');
      if (!ready || issuing) {
        last = '';
        return undefined;
      }
      const now = await readSecret();
      const key = `${now.leaf.serialNumber}/${crt.status.revision as number}`;
      if (key !== last) {
        last = key;
        return undefined;
      }
      return { ...now, revision: crt.status.revision as number };
    }, { timeoutMs: 60_000, intervalMs: 1000, alive: certManager!.controller });
  };

  before(async () => {
    const t0 = performance.now();
    plane = await startControlPlane();
    const planeAt = performance.now() - t0;
    certManager = await startCertManager(plane);
    console.log(`# cert-manager e2e start-up: control plane ${(planeAt / 1000).toFixed(1)} s, cert-manager CRDs + controller + cainjector ${((performance.now() - t0 - planeAt) / 1000).toFixed(1)} s`);
    // HA state to guard, written before any webhook configuration exists (once manifests/ is applied, the
    // fail-closed ConfigMap guard answers for it).
    await createFlinkNamespace(plane, NS);
    await plane.kubectlOk(['-n', NS, 'apply', '--server-side', '--field-manager=flink', '-f', HA_FIXTURE]);
    await plane.kubectlOk(['create', 'namespace', LOAD_NS]);
  });
  after(async () => {
    await webhook?.stop();
    await certManager?.stop();
    await plane?.stop();
  });

  it('kubectl apply -k manifests/cert-manager/: the CA and serving Certificates Ready, the Secret issued for the Service', async () => {
    await plane.kubectlOk(['apply', '-k', join(REPO_ROOT, 'manifests', 'cert-manager')]);
    await plane.kubectlOk([
      '-n', WEBHOOK_NS, 'wait', '--for=condition=Ready', '--timeout=90s',
      'issuer/flink-ha-webhook-selfsigned', 'certificate/flink-ha-webhook-ca', 'issuer/flink-ha-webhook-ca', `certificate/${CERTIFICATE}`,
    ]);
    issued = await settled('the serving Certificate to settle');
    const service = await getJson('service/flink-ha-webhook');
    const serviceName = `${service.metadata.name as string}.${service.metadata.namespace as string}.svc`;
    const sans = issued.leaf.subjectAltName?.split(', ') ?? [];
    assert.deepEqual(sans.sort(), [`DNS:${serviceName}`, `DNS:${serviceName}.cluster.local`].sort());
    // Signed by the long-lived CA (ca.crt), not self-signed: a renewal keeps the caBundle valid.
    assert.equal(issued.ca.ca, true);
    assert.ok(issued.leaf.checkIssued(issued.ca) && issued.leaf.verify(issued.ca.publicKey), 'tls.crt is signed by ca.crt');
    assert.notEqual(issued.leaf.fingerprint256, issued.ca.fingerprint256);
    assert.equal(issued.leaf.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    revision = issued.revision;
    assert.ok(revision >= 1, `revision ${revision}`);
  });

  it('cainjector puts that CA into caBundle of every webhook of both configurations', async () => {
    const want = Buffer.from(issued.files['ca.crt']).toString('base64');
    const bundles = await waitFor('cainjector to inject the CA into both configurations', async () => {
      const got = await caBundles();
      return got.every((b) => b === want) ? got : undefined;
    }, { timeoutMs: 60_000, alive: certManager!.cainjector });
    const inManifests = (await manifestWebhookConfigurations(plane)).reduce((n, c) => n + c.webhooks.length, 0);
    assert.equal(bundles.length, inManifests, 'every webhook of manifests/ has it');
    webhookCount = bundles.length;
    injectedCa = Buffer.from(bundles[0]!, 'base64').toString('utf8');
  });

  it('the webhook serving the issued pair, called with the injected caBundle: a person\'s HA ConfigMap delete is denied with its reason', async () => {
    // No node and no cluster DNS here: the API server reaches the webhook at https://127.0.0.1:<port>, and checks
    // an IP SAN for that, where in a cluster it checks the Service's DNS name (asserted above). So this test adds
    // 127.0.0.1 to the Certificate; cert-manager re-issues it from the same CA, and the caBundle stays as it is.
    const before = issued.leaf.serialNumber;
    await plane.kubectlOk(['-n', WEBHOOK_NS, 'patch', `certificate/${CERTIFICATE}`, '--type=json', '-p',
      JSON.stringify([{ op: 'add', path: '/spec/ipAddresses', value: ['127.0.0.1'] }])]);
    await waitForSerialChange(before, 'cert-manager to re-issue the certificate with the IP SAN');
    issued = await settled('the re-issued Certificate to settle');
    assert.match(issued.leaf.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
    assert.equal(issued.files['ca.crt'], injectedCa, 'same CA');
    assert.ok(issued.revision > revision, `revision ${issued.revision} after ${revision}`);
    revision = issued.revision;

    // The issued files laid out in the webhook's cert dir as the kubelet mounts a Secret (see writeSecretVolume).
    const certDir = join(plane.dir, 'webhook-certs');
    writeSecretVolume(certDir, issued, 'v1');
    written = issued;
    webhook = await startWebhook(plane);
    assert.equal(await servedSerial(webhook.port, injectedCa), serial(issued.leaf.serialNumber));

    // manifests/cert-manager's configurations with only each clientConfig.service swapped for the local URL; the
    // caBundle is what cainjector injected, and cainjector keeps managing it (the annotation stays).
    for (const config of CONFIGURATIONS) {
      const live = await getJson(config, 'default');
      const patch = (live.webhooks as Json[]).map((w, i) => ({
        op: 'replace',
        path: `/webhooks/${i}/clientConfig`,
        value: { url: `${webhook!.url}${w.clientConfig.service.path as string}`, caBundle: w.clientConfig.caBundle },
      }));
      await plane.kubectlOk(['patch', config, '--type=json', '-p', JSON.stringify(patch)]);
    }
    assert.deepEqual(await caBundles(), Array(webhookCount).fill(Buffer.from(injectedCa).toString('base64')));

    // A new configuration takes a moment to be honoured: until then the API server still calls the Service.
    const denied = await waitFor('the API server to call the local webhook', async () => {
      const r = await plane.kubectl(['-n', NS, 'delete', 'configmap', LEADER_CM]);
      return /denied the request/.test(r.stderr) ? r : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500, alive: webhook.process() });
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /admission webhook "ha-configmaps\.flink-ha\.io" denied the request: .*\[protect-ha-configmap\]/);
    await plane.kubectlOk(['-n', NS, 'get', 'configmap', LEADER_CM]);
  });

  it('renewal (the Issuing condition, as cmctl renew sets it): a new serial from the same CA, reloaded by the webhook, no failed admission', async () => {
    const load = startAdmissionLoad(plane, LOAD_NS, (n) => guardedProbe(LOAD_NS, n));
    try {
      await load.answered(20);
      const before = (await readSecret()).leaf.serialNumber;
      const certificate = await getJson(`certificate/${CERTIFICATE}`);
      // What `cmctl renew` does: cert-manager's trigger controller re-issues a Certificate whose Issuing
      // condition is True (an annotation or a spec-less update does not).
      const t0 = performance.now();
      await plane.kubectlOk(['-n', WEBHOOK_NS, 'patch', `certificate/${CERTIFICATE}`, '--subresource=status', '--type=json', '-p',
        JSON.stringify([{
          op: 'add',
          path: '/status/conditions/-',
          value: {
            type: 'Issuing',
            status: 'True',
            reason: 'ManuallyTriggered',
            message: 'Certificate re-issuance manually triggered',
            lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
            observedGeneration: certificate.metadata.generation,
          },
        }])]);
      await waitForSerialChange(before, 'cert-manager to renew the certificate');
      const issuedAt = performance.now() - t0;
      const renewed = await settled('the renewed Certificate to settle');
      assert.ok(renewed.revision > revision, `revision ${renewed.revision} after ${revision}`);
      revision = renewed.revision;
      assert.notEqual(renewed.files['tls.key'], written.files['tls.key'], 'rotationPolicy: Always: a new key');
      assert.equal(renewed.files['ca.crt'], injectedCa, 'the same CA: nothing for cainjector to change');
      assert.deepEqual(await caBundles(), Array(webhookCount).fill(Buffer.from(injectedCa).toString('base64')));

      // The kubelet's part (no node here): the new Secret data into the cert dir by an atomic ..data swap.
      await load.answered(10);
      writeSecretVolume(join(plane.dir, 'webhook-certs'), renewed, 'v2');
      written = renewed;
      const t1 = performance.now();
      await waitFor('the webhook to serve the renewed certificate', async () =>
        (await servedSerial(webhook!.port, injectedCa)) === serial(renewed.leaf.serialNumber) ? true : undefined, { timeoutMs: 30_000 });
      const reloadedAt = performance.now() - t1;
      assert.match(webhook!.log(), /serving a new certificate pair/);
      await load.answered(20);
      const result = await load.stop();
      console.log(
        `# renewal: new serial in the Secret ${(issuedAt / 1000).toFixed(1)} s after the Issuing condition; served ` +
          `${(reloadedAt / 1000).toFixed(1)} s after the swap; ${result.answered} admissions answered, ${result.failed} failed`,
      );
      assert.equal(result.failed, 0, result.failures.join('\n'));
      assert.ok(result.answered >= 50, `${result.answered} admissions`);
      // Nothing but loopback: every TCP connection cert-manager has is to 127.0.0.1 (the API server, its own ports).
      for (const p of [certManager!.controller, certManager!.cainjector]) {
        const peers = tcpPeersOf(p.pid);
        assert.ok(peers.length > 0, `${p.name} has connections (to the API server)`);
        assert.deepEqual(peers.filter((peer) => !peer.startsWith('127.')), [], `${p.name} connects only to loopback`);
      }
    } finally {
      await load.stop();
    }
  });

  it('a self-signed serving certificate instead (the overlay before): cainjector merges the new one into caBundle beside the old, no failed admission', async () => {
    // With a self-signed serving certificate every renewal is a new CA. cainjector (CAInjectorMerging, GA in
    // 1.21, on by default since 1.19) adds it to caBundle and keeps the old one while it is valid, so the API
    // server trusts the files the webhook still serves until the kubelet swaps them. Older cainjectors replaced
    // the bundle, and every call failed until the reload: the reason the overlay now signs with a CA of its own.
    const load = startAdmissionLoad(plane, LOAD_NS, (n) => guardedProbe(LOAD_NS, 100_000 + n));
    try {
      await load.answered(10);
      const before = written;
      const stored = (await readSecret()).leaf.serialNumber;
      await plane.kubectlOk(['-n', WEBHOOK_NS, 'patch', `certificate/${CERTIFICATE}`, '--type=json', '-p',
        JSON.stringify([{ op: 'replace', path: '/spec/issuerRef/name', value: 'flink-ha-webhook-selfsigned' }])]);
      await waitForSerialChange(stored, 'cert-manager to issue a self-signed certificate');
      const selfSigned = await settled('the self-signed Certificate to settle');
      assert.equal(selfSigned.ca.fingerprint256, selfSigned.leaf.fingerprint256, 'ca.crt is the certificate itself');
      const has = (certs: X509Certificate[], c: X509Certificate) => certs.some((x) => x.fingerprint256 === c.fingerprint256);
      await waitFor('cainjector to add the self-signed certificate to every caBundle, beside the CA', async () => {
        const bundles = (await caBundles()).map((b) => certificatesIn(Buffer.from(b, 'base64').toString('utf8')));
        return bundles.every((certs) => has(certs, selfSigned.ca) && has(certs, before.ca)) ? true : undefined;
      }, { timeoutMs: 60_000, alive: certManager!.cainjector });
      assert.ok(selfSigned.leaf.verify(selfSigned.leaf.publicKey), 'self-signed: signed by its own key, and its own ca.crt');
      // The webhook still serves the CA-signed pair (the kubelet's sync is up to about a minute in a cluster).
      await load.answered(20);
      assert.equal(await servedSerial(webhook!.port, injectedCa), serial(before.leaf.serialNumber));
      writeSecretVolume(join(plane.dir, 'webhook-certs'), selfSigned, 'v3');
      await waitFor('the webhook to serve the self-signed certificate', async () =>
        (await servedSerial(webhook!.port, selfSigned.files['ca.crt'])) === serial(selfSigned.leaf.serialNumber) ? true : undefined,
      { timeoutMs: 30_000 });
      await load.answered(20);
      const result = await load.stop();
      console.log(`# self-signed renewal: caBundle holds ${certificatesIn(Buffer.from((await caBundles())[0]!, 'base64').toString('utf8')).length} certificates; ${result.answered} admissions answered, ${result.failed} failed`);
      assert.equal(result.failed, 0, result.failures.join('\n'));
    } finally {
      await load.stop();
    }
  });
});

/**
 * Writes the Secret's files the way the kubelet updates a Secret volume: into a new `..<version>` dir, then an
 * atomic rename of a `..data_tmp` symlink over `..data`; tls.crt, tls.key and ca.crt are symlinks through `..data`.
 * Done by the test because there is no node here (the kubelet does this in a cluster, see node.test.ts).
 */
function writeSecretVolume(dir: string, issued: Issued, version: string): void {
  const payload = join(dir, `..${version}`);
  mkdirSync(payload, { recursive: true });
  for (const [name, content] of Object.entries(issued.files)) writeFileSync(join(payload, name), content, { mode: 0o600 });
  symlinkSync(`..${version}`, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  for (const name of Object.keys(issued.files)) {
    try {
      symlinkSync(join('..data', name), join(dir, name));
    } catch {
      // already linked through ..data by the first version
    }
  }
}

/** The serial of the certificate the webhook serves on 127.0.0.1:<port>, verified against `caPem`. */
function servedSerial(port: number, caPem: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: caPem, timeout: 5000 }, () => {
      socket.end();
      resolve(serial(socket.getPeerCertificate().serialNumber));
    });
    socket.on('timeout', () => socket.destroy(new Error(`TLS to 127.0.0.1:${port} timed out`)));
    socket.on('error', reject);
  });
}

/** Hex serial numbers as both APIs give them, compared without leading zeros. */
function serial(hex: string): string {
  return hex.replace(/^0+/, '').toUpperCase();
}

/** The remote addresses of the TCP connections of process `pid` (ss from iproute2). */
function tcpPeersOf(pid: number): string[] {
  const out = execFileSync('ss', ['-tnpH', 'state', 'established'], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes(`pid=${pid},`))
    .map((line) => line.trim().split(/\s+/)[3] ?? '')
    .map((peer) => peer.replace(/:\d+$/, '').replace(/^\[|\]$/g, '').replace(/^::ffff:/, ''));
}

/** The certificates of a PEM bundle. */
function certificatesIn(pem: string): X509Certificate[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((block) => new X509Certificate(block));
}
