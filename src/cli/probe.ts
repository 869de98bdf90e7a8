// `flink-ha-webhook probe --url URL`: sends a running webhook one dry-run AdmissionReview (a person deleting an HA
// ConfigMap) over HTTPS, verifying its certificate with the CA the API server trusts, and checks the answer: the
// uid echoed and the HA ConfigMap guard named. It is the chart's `helm test` (the image has node and this CLI but
// no shell or curl), and a quick check of any install: exit 0 when the webhook judged the review, 1 when not.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { Register } from './main.ts';

const GUARD_RULE = 'protect-ha-configmap';

/** A DELETE of an HA ConfigMap by a person, marked dryRun: the guard must answer it, and nothing is stored. */
export function probeReview(uid: string, namespace: string): unknown {
  const name = 'flink-ha-probe-cluster-config-map';
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'ConfigMap' },
      resource: { group: '', version: 'v1', resource: 'configmaps' },
      name,
      namespace,
      operation: 'DELETE',
      userInfo: { username: 'flink-ha-webhook-probe', groups: ['system:authenticated'] },
      object: null,
      oldObject: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace, labels: { app: 'flink-ha-probe', type: 'flink-native-kubernetes', 'configmap-type': 'high-availability' } },
        data: { 'checkpointID-0000000000000000001': 'probe' },
      },
      dryRun: true,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'DeleteOptions' },
    },
  };
}

/** What is wrong with the webhook's answer (nothing: it judged the review), and its decision in words. */
export function checkAnswer(status: number, body: string, uid: string): { problems: string[]; decision: string } {
  if (status !== 200) return { problems: [`HTTP ${status}: ${body.slice(0, 200)}`], decision: '' };
  let review: { kind?: unknown; response?: { uid?: unknown; allowed?: unknown; status?: { message?: string } } };
  try {
    review = JSON.parse(body) as typeof review;
  } catch {
    return { problems: [`not JSON: ${body.slice(0, 200)}`], decision: '' };
  }
  const problems: string[] = [];
  if (review.kind !== 'AdmissionReview') problems.push(`kind is ${String(review.kind)}, not AdmissionReview`);
  if (review.response?.uid !== uid) problems.push(`response.uid is ${String(review.response?.uid)}, not the request's ${uid}`);
  // Denied (guardMode enforce), or allowed with a warning or audit annotation (warn, audit): the rule is named.
  if (!JSON.stringify(review.response ?? {}).includes(GUARD_RULE)) problems.push(`the answer does not name ${GUARD_RULE}: is the HA ConfigMap guard off?`);
  const decision = review.response?.allowed === false ? `denied: ${review.response.status?.message ?? '(no message)'}` : 'allowed (guardMode warn or audit)';
  return { problems, decision };
}

function post(url: URL, body: string, ca: Buffer | undefined, serverName: string | undefined, timeoutMs: number, client?: { cert: Buffer; key: Buffer }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, {
      method: 'POST',
      ...(client ?? {}),
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      ...(ca ? { ca } : {}),
      // The certificate is checked for this name (SNI too) instead of the URL's host: a Pod's IP, say.
      ...(serverName ? { servername: serverName, checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(serverName, cert) } : {}),
      timeout: timeoutMs,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

interface ProbeFlags {
  url: string; caFile?: string; caBundle?: string; serverName?: string; namespace: string; timeout: string;
  clientCert?: string; clientKey?: string; expectClientAuth?: boolean;
}

/** The webhook's 403 to a client without the API server's certificate (tls.clientCaFile, admission-route.ts). */
const CLIENT_AUTH_REFUSAL = /client certificate signed by the webhook's client CA is required/;

export const registerProbe: Register = (program: Command, io, done): void => {
  program
    .command('probe')
    .description("send a running webhook a dry-run review (a person's HA ConfigMap delete) and check that its guard answers it")
    .requiredOption('--url <url>', 'the webhook, e.g. https://flink-ha-webhook.flink-ha-webhook.svc (POST <url>/validate)')
    .option('--ca-file <file>', 'PEM CA that verifies the serving certificate (the Secret\'s ca.crt)')
    .option('--ca-bundle <base64>', 'the caBundle of the webhook configurations (base64 PEM), instead of --ca-file')
    .option('--server-name <name>', 'the name the serving certificate must carry, when --url names a Pod IP (default: the URL\'s host)')
    .option('--namespace <ns>', 'namespace of the probe ConfigMap (must not be excluded)', 'flink-ha-probe')
    .option('--timeout <ms>', 'how long to wait for the answer', '10000')
    .option('--client-cert <file>', 'PEM client certificate to present (a webhook with tls.clientCaFile serves only the API server\'s)')
    .option('--client-key <file>', 'its PEM key')
    .option('--expect-client-auth', 'pass when the webhook refuses this probe for want of a client certificate (the helm test, with clientAuth on)')
    .action(async (flags: ProbeFlags) => {
      let ca: Buffer | undefined;
      let url: URL;
      try {
        ca = flags.caBundle !== undefined ? Buffer.from(flags.caBundle, 'base64') : flags.caFile !== undefined ? readFileSync(flags.caFile) : undefined;
        url = new URL(`${flags.url.replace(/\/+$/, '')}/validate`);
      } catch (err) {
        io.stderr(`probe: ${(err as Error).message}\n`);
        done(2);
        return;
      }
      const uid = randomUUID();
      const started = Date.now();
      try {
        const client = flags.clientCert !== undefined && flags.clientKey !== undefined ? { cert: readFileSync(flags.clientCert), key: readFileSync(flags.clientKey) } : undefined;
        const answer = await post(url, JSON.stringify(probeReview(uid, flags.namespace)), ca, flags.serverName, Number(flags.timeout) || 10_000, client);
        if (flags.expectClientAuth === true && answer.status === 403 && CLIENT_AUTH_REFUSAL.test(answer.body)) {
          io.stdout(`probe: ${url.href} answered in ${Date.now() - started} ms, TLS verified: refused a client without the API server's certificate, as configured\n`);
          done(0);
          return;
        }
        const { problems, decision } = checkAnswer(answer.status, answer.body, uid);
        if (problems.length > 0) {
          for (const p of problems) io.stderr(`probe: ${url.href}: ${p}\n`);
          done(1);
          return;
        }
        io.stdout(`probe: ${url.href} answered in ${Date.now() - started} ms, TLS verified: ${decision}\n`);
        done(0);
      } catch (err) {
        io.stderr(`probe: ${url.href}: ${(err as Error).message}\n`);
        done(1);
      }
    });
};
