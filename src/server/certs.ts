// TLS material of the server: first-start generation of a development CA and serving certificate, and the
// checked loading of a key pair (the same check guards hot reloads, so a bad pair never replaces a good one).
import { webcrypto, X509Certificate as NodeX509, createPrivateKey } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
// @peculiar/x509 resolves its ASN.1 codecs through tsyringe, which needs a Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;

// @peculiar/x509 signs with WebCrypto; Node's implementation is the provider (no DOM lib in this project).
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 3600 * 1000;

export interface TlsFiles {
  dir: string;
  certFile: string;
  keyFile: string;
  caFile: string;
}

export interface KeyPair {
  cert: Buffer;
  key: Buffer;
  notAfter: Date;
  /** SHA-256 fingerprint of the leaf certificate, for logs. */
  fingerprint: string;
}

export const pathsOf = (f: TlsFiles) => ({
  cert: join(f.dir, f.certFile),
  key: join(f.dir, f.keyFile),
  ca: join(f.dir, f.caFile),
  caKey: join(f.dir, 'ca.key'),
});

/**
 * Makes sure a serving pair exists. When it does not, writes a dev CA (reused when ca.crt and ca.key are there)
 * and a serving certificate for 127.0.0.1, localhost and `dnsNames`. Returns whether it generated anything.
 */
export async function ensureDevCertificates(files: TlsFiles, dnsNames: string[]): Promise<{ generated: boolean }> {
  const p = pathsOf(files);
  const hasCert = existsSync(p.cert);
  const hasKey = existsSync(p.key);
  if (hasCert && hasKey) return { generated: false };
  // Half a pair is a mistake to report, not a reason to overwrite what someone put there.
  if (hasCert || hasKey) {
    throw new Error(`${hasCert ? p.cert : p.key} exists but ${hasCert ? p.key : p.cert} does not: provide both, or neither to generate a development pair`);
  }
  mkdirSync(files.dir, { recursive: true });
  let ca: { cert: x509.X509Certificate; key: CryptoKey };
  if (existsSync(p.ca) && existsSync(p.caKey)) {
    ca = { cert: new x509.X509Certificate(readFileSync(p.ca, 'utf8')), key: await importKey(readFileSync(p.caKey, 'utf8')) };
  } else {
    ca = await createCa();
    writeFileSync(p.ca, ca.cert.toString('pem') + '\n');
    writePrivate(p.caKey, await exportKey(ca.key));
  }
  const serving = await createServingCert(ca, dnsNames);
  writePrivate(p.key, await exportKey(serving.key));
  writeFileSync(p.cert, serving.cert.toString('pem') + '\n');
  return { generated: true };
}

export async function createCa(days = 3650): Promise<{ cert: x509.X509Certificate; key: CryptoKey }> {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=flink-ha-webhook dev CA',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + days * DAY_MS),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, key: keys.privateKey };
}

export async function createServingCert(
  ca: { cert: x509.X509Certificate; key: CryptoKey },
  dnsNames: string[],
  options: { days?: number; notBefore?: Date } = {},
): Promise<{ cert: x509.X509Certificate; key: CryptoKey }> {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const notBefore = options.notBefore ?? new Date(Date.now() - 60_000);
  const names = [
    { type: 'ip' as const, value: '127.0.0.1' },
    ...['localhost', ...dnsNames].map((value) => ({ type: 'dns' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${dnsNames.at(-1) ?? 'localhost'}`,
    issuer: ca.cert.subject,
    notBefore,
    notAfter: new Date(notBefore.getTime() + (options.days ?? 365) * DAY_MS),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: ca.key,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    ],
  });
  return { cert, key: keys.privateKey };
}

/** A client certificate (clientAuth) from `ca`: what the API server presents when tls.clientCaFile is set. */
export async function createClientCert(
  ca: { cert: x509.X509Certificate; key: CryptoKey },
  commonName: string,
  days = 365,
): Promise<{ cert: x509.X509Certificate; key: CryptoKey }> {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const notBefore = new Date(Date.now() - 60_000);
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${commonName}`,
    issuer: ca.cert.subject,
    notBefore,
    notAfter: new Date(notBefore.getTime() + days * DAY_MS),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: ca.key,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    ],
  });
  return { cert, key: keys.privateKey };
}

/**
 * Reads and checks a pair: both parse, the key belongs to the certificate, the certificate is in its validity
 * window and not SHA-1 signed (Go clients such as the API server refuse those), and TLS accepts it.
 * Throws an Error that says which of these failed.
 */
export function loadKeyPair(certPem: Buffer, keyPem: Buffer, now = new Date()): KeyPair {
  let leaf: NodeX509;
  try {
    leaf = new NodeX509(certPem);
  } catch (err) {
    throw new Error(`the certificate does not parse: ${(err as Error).message}`, { cause: err });
  }
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    throw new Error(`the private key does not parse: ${(err as Error).message}`, { cause: err });
  }
  if (!leaf.checkPrivateKey(key)) throw new Error('the private key does not belong to the certificate');
  const notAfter = new Date(leaf.validTo);
  if (notAfter.getTime() <= now.getTime()) throw new Error(`the certificate expired at ${notAfter.toISOString()}`);
  if (new Date(leaf.validFrom).getTime() > now.getTime()) throw new Error(`the certificate is not valid before ${leaf.validFrom}`);
  const hash = new x509.X509Certificate(leaf.raw).signatureAlgorithm.hash as { name?: string } | undefined;
  if (hash?.name === 'SHA-1') throw new Error('the certificate is signed with SHA-1; use SHA-256 or stronger');
  createSecureContext({ cert: certPem, key: keyPem });
  return { cert: certPem, key: keyPem, notAfter, fingerprint: leaf.fingerprint256 };
}

export async function exportKey(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY') + '\n';
}

async function importKey(pem: string): Promise<CryptoKey> {
  return webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decode(pem)[0]!, ALG, true, ['sign']);
}

function writePrivate(path: string, pem: string): void {
  writeFileSync(path, pem, { mode: 0o600 });
  chmodSync(path, 0o600);
}
