/** Certificates and keys for the local control plane, made with the openssl command. */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Absolute paths of the PEM files createCertificates writes. */
export interface ClusterCertificates {
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * A throwaway CA, a serving certificate for 127.0.0.1/localhost (API server and the token webhook) and a
 * service-account signing key, written into `dir` (valid 7 days). Clients verify TLS against the CA:
 * verification is never switched off. Throws when openssl is missing or fails (its stderr in the error).
 */
export function createCertificates(dir: string): ClusterCertificates {
  const files: ClusterCertificates = {
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    servingCert: join(dir, 'serving.crt'),
    servingKey: join(dir, 'serving.key'),
    serviceAccountKey: join(dir, 'sa.key'),
    serviceAccountPub: join(dir, 'sa.pub'),
  };
  const ext = join(dir, 'serving.ext');
  writeFileSync(
    ext,
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc',
    ].join('\n'),
  );
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', files.caKey], dir);
  openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      files.caKey,
      '-subj',
      '/CN=spot-drainer-test-ca',
      '-days',
      '7',
      '-out',
      files.caCert,
    ],
    dir,
  );
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', files.servingKey], dir);
  const csr = join(dir, 'serving.csr');
  openssl(['req', '-new', '-key', files.servingKey, '-subj', '/CN=kube-apiserver', '-out', csr], dir);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      files.caCert,
      '-CAkey',
      files.caKey,
      '-CAcreateserial',
      '-days',
      '7',
      '-extfile',
      ext,
      '-out',
      files.servingCert,
    ],
    dir,
  );
  openssl(['genrsa', '-out', files.serviceAccountKey, '2048'], dir);
  openssl(['rsa', '-in', files.serviceAccountKey, '-pubout', '-out', files.serviceAccountPub], dir);
  return files;
}
