// Certificates for the TLS tests, made with the machine's openssl: a CA, and leaf certificates
// it signs (a server's with IP and DNS names, a client's with a given subject and SAN). Keys are
// P-256 (fast to make). Files live in one temporary folder per PKI; `rm` removes it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Leaf {
  cert: string;
  key: string;
}

export class TestPki {
  readonly dir = mkdtempSync(join(tmpdir(), 'itrade-pki-'));
  readonly ca: Leaf;

  constructor(readonly name = 'itrade-test-ca') {
    this.ca = { cert: join(this.dir, 'ca.crt'), key: join(this.dir, 'ca.key') };
    ssl(['req', '-x509', ...ecKey(this.ca.key), '-out', this.ca.cert, '-days', '2', '-subj', `/CN=${name}`]);
  }

  /** A leaf signed by this CA; `days` < 0 makes one that expired that many days ago. */
  leaf(file: string, o: { cn: string; san?: string; days?: number; clientAuth?: boolean }): Leaf {
    const out = { cert: join(this.dir, `${file}.crt`), key: join(this.dir, `${file}.key`) };
    const csr = join(this.dir, `${file}.csr`);
    const ext = join(this.dir, `${file}.ext`);
    ssl(['req', '-new', ...ecKey(out.key), '-out', csr, '-subj', `/CN=${o.cn}`]);
    const usage = o.clientAuth ? 'clientAuth' : 'serverAuth,clientAuth';
    writeFileSync(ext, `${o.san ? `subjectAltName=${o.san}\n` : ''}extendedKeyUsage=${usage}\n`);
    const args = ['-CA', this.ca.cert, '-CAkey', this.ca.key, '-CAcreateserial', '-extfile', ext];
    const days = o.days ?? 2;
    if (days > 0) ssl(['x509', '-req', '-in', csr, ...args, '-out', out.cert, '-days', String(days)]);
    else this.expired(csr, out.cert, ext, -days);
    return out;
  }

  /** A server certificate for 127.0.0.1 and localhost. */
  server(file = 'server'): Leaf {
    return this.leaf(file, { cn: 'localhost', san: 'IP:127.0.0.1,DNS:localhost' });
  }

  /**
   * The gateway's MQTT TLS listener (broker.listeners.tls) on a free port with a fresh server
   * certificate of this CA, client certificates optional and checked against it; `over` adds keys.
   */
  tlsListener(file: string, over: Record<string, unknown> = {}): Record<string, unknown> {
    const server = this.server(file);
    return {
      enabled: true,
      host: '127.0.0.1',
      port: 0,
      certFile: server.cert,
      keyFile: server.key,
      caFile: this.ca.cert,
      clientCerts: 'optional',
      ...over,
    };
  }

  /** PKCS#12 keystore of a leaf (what a JVM server reads), password `changeit`. */
  pkcs12(leaf: Leaf, file: string): string {
    const out = join(this.dir, `${file}.p12`);
    ssl(['pkcs12', '-export', '-in', leaf.cert, '-inkey', leaf.key, '-out', out, '-passout', 'pass:changeit']);
    return out;
  }

  pem(file: string): Buffer {
    return readFileSync(file);
  }

  rm(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  // `openssl x509 -days` cannot date a certificate in the past; `openssl ca` can.
  private expired(csr: string, out: string, ext: string, daysAgo: number): void {
    const db = join(this.dir, 'ca-db');
    writeFileSync(`${db}.index`, '');
    writeFileSync(`${db}.serial`, '01\n');
    const conf = join(this.dir, 'ca.cnf');
    writeFileSync(
      conf,
      [
        '[ca]',
        'default_ca=d',
        '[d]',
        `database=${db}.index`,
        `serial=${db}.serial`,
        `new_certs_dir=${this.dir}`,
        'default_md=sha256',
        'policy=p',
        'unique_subject=no',
        '[p]',
        'commonName=supplied',
        '',
      ].join('\n'),
    );
    const start = stamp(Date.now() - (daysAgo + 2) * 86_400_000);
    const end = stamp(Date.now() - daysAgo * 86_400_000);
    ssl(
      ['ca', '-batch', '-config', conf, '-cert', this.ca.cert, '-keyfile', this.ca.key, '-in', csr].concat([
        '-out',
        out,
        '-startdate',
        start,
        '-enddate',
        end,
        '-extfile',
        ext,
        '-notext',
      ]),
    );
  }
}

function ecKey(keyFile: string): string[] {
  return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile];
}

function stamp(ms: number): string {
  return `${new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

function ssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}
