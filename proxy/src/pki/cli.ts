// `proxy certs --dir DIR --host NAME...`: creates or refreshes the local CA and the server certificate
// (see local-ca.ts) and says what it did. Exit 0 when the files are in place, 1 on failure, 2 on misuse.
import { parseArgs } from 'node:util';
import { ensureCertificates, type FileAction } from './local-ca.ts';

const HELP = `proxy certs - a local CA and a server certificate signed by it, for the proxy's TLS listener

Usage: proxy certs --dir DIR [--host NAME]... [--days N] [--renew-before N]

Options:
  --dir DIR             folder for ca.crt, ca.key, tls.crt, tls.key (created if missing; env PROXY_CERTS_DIR)
  --host NAME           a DNS name or IP address the certificate is for; repeat for more
                        (localhost, 127.0.0.1 and ::1 are always included)
  --days N              validity of the server certificate in days (default 90)
  --renew-before N      issue it again when it expires within N days (default 30)
  --help                show this help

Idempotent: an existing CA is kept; the server certificate is issued again only when it is missing,
near expiry, lacks a requested name, or was not signed by this CA. Keys are written with mode 0600.
Trust ca.crt in clients: curl --cacert DIR/ca.crt, NODE_EXTRA_CA_CERTS=DIR/ca.crt, or the OS store.`;

function usage(message: string): number {
  process.stderr.write(`proxy certs: ${message}\nTry 'proxy certs --help'.\n`);
  return 2;
}

function days(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 36500) {
    throw new Error(`${flag} must be a whole number of days from 1 to 36500, got "${value}"`);
  }
  return Number(value);
}

const VERB: Record<FileAction, string> = { created: 'wrote', renewed: 'renewed', kept: 'kept' };

export async function runCerts(argv: string[]): Promise<number> {
  let values: { dir?: string; host?: string[]; days?: string; 'renew-before'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        dir: { type: 'string' },
        host: { type: 'string', multiple: true },
        days: { type: 'string' },
        'renew-before': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
      strict: true,
    }));
  } catch (error) {
    return usage((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const dir = values.dir ?? process.env.PROXY_CERTS_DIR;
  if (!dir) return usage('--dir DIR is required');
  let leafDays: number;
  let renewBeforeDays: number;
  try {
    leafDays = days(values.days, '--days', 90);
    renewBeforeDays = days(values['renew-before'], '--renew-before', 30);
    if (renewBeforeDays >= leafDays) throw new Error('--renew-before must be less than --days');
  } catch (error) {
    return usage((error as Error).message);
  }
  try {
    const result = await ensureCertificates({ dir, hosts: values.host ?? [], leafDays, renewBeforeDays });
    const { ca, leaf } = result;
    const caWhy = ca.reason ? ` (${ca.reason})` : '';
    process.stdout.write(
      `${VERB[ca.action]} ${ca.file}: local CA, valid until ${ca.notAfter.toISOString()}${caWhy}\n`,
    );
    const leafWhy = leaf.reason && leaf.action !== 'created' ? ` (${leaf.reason})` : '';
    process.stdout.write(
      `${VERB[leaf.action]} ${leaf.file} and ${leaf.keyFile}: for ${leaf.names.join(', ')}, valid until ${leaf.notAfter.toISOString()}${leafWhy}\n`,
    );
    if (ca.action !== 'kept') {
      process.stdout.write(`trust it in clients: curl --cacert ${ca.file} https://localhost:8443/\n`);
    }
    return 0;
  } catch (error) {
    process.stderr.write(`proxy certs: ${(error as Error).message}\n`);
    return 1;
  }
}
