// The certificate STARTTLS presents: the user's own (e.g. from mkcert), or one generated on first use and kept
// in the state directory, so a client that accepted it once keeps trusting it.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';

export interface CertificateOptions {
  /** PEM files the user gave, or null */
  certFile: string | null;
  keyFile: string | null;
  /** where a generated certificate is kept */
  stateDir: string;
}

export interface Certificate {
  cert: string;
  key: string;
  certFile: string;
  /** SHA-256 fingerprint, as clients show it when asking whether to trust */
  fingerprint: string;
}

export const GENERATED_CERT = 'xmpp-cert.pem';
export const GENERATED_KEY = 'xmpp-key.pem';

export async function loadCertificate(o: CertificateOptions): Promise<Certificate> {
  const certFile = o.certFile ?? path.join(o.stateDir, GENERATED_CERT);
  const keyFile = o.keyFile ?? path.join(o.stateDir, GENERATED_KEY);
  const generated = o.certFile === null;
  if (generated && !fs.existsSync(certFile)) await generate(certFile, keyFile);
  let c = read(certFile, keyFile);
  // Two emulators generating at the same moment could leave one's key beside the other's certificate.
  if (!c.matches && generated) {
    await generate(certFile, keyFile);
    c = read(certFile, keyFile);
  }
  if (!c.matches) throw new Error(`the key in ${keyFile} does not belong to the certificate in ${certFile}`);
  return { cert: c.cert, key: c.key, certFile, fingerprint: c.x509.fingerprint256 };
}

function read(certFile: string, keyFile: string): { cert: string; key: string; x509: X509Certificate; matches: boolean } {
  const cert = fs.readFileSync(certFile, 'utf8');
  const key = fs.readFileSync(keyFile, 'utf8');
  const x509 = new X509Certificate(cert);
  return { cert, key, x509, matches: x509.checkPrivateKey(createPrivateKey(key)) };
}

/** A self-signed certificate for the names a local client uses. selfsigned does the X.509 work (no openssl needed). */
async function generate(certFile: string, keyFile: string): Promise<void> {
  const { generate: selfsigned } = await import('selfsigned');
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(notBeforeDate.getTime() + 825 * 24 * 3600_000);
  const pems = await selfsigned(
    [
      { name: 'commonName', value: 'localhost' },
      { name: 'organizationName', value: 'xmpp-emu (local development only)' },
    ],
    {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notBeforeDate,
      notAfterDate,
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 2, value: 'example.com' },
            { type: 7, ip: '127.0.0.1' },
            { type: 7, ip: '::1' },
          ],
        },
      ],
    },
  );
  fs.mkdirSync(path.dirname(certFile), { recursive: true });
  // Written beside, then renamed: two emulators starting at once never read half a file; the key first, so a
  // certificate that exists always has its key.
  const tmp = `.${process.pid}-${Date.now()}`;
  fs.writeFileSync(keyFile + tmp, pems.private, { mode: 0o600 });
  fs.writeFileSync(certFile + tmp, pems.cert);
  fs.renameSync(keyFile + tmp, keyFile);
  fs.renameSync(certFile + tmp, certFile);
}

export function secureContext(c: Certificate): tls.SecureContext {
  return tls.createSecureContext({ cert: c.cert, key: c.key });
}
