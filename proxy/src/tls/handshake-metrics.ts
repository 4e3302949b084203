// TLS SLIs for a listener: handshakes completed (by protocol), handshakes that failed (by a closed set of
// reasons, from the tlsClientError event), and when the served certificate expires.
import { LeanCounter, LeanGauge } from '@sre-stack/runtime/lean-metrics';

const handshakes = new LeanCounter(
  'proxy_tls_handshakes_total',
  'TLS handshakes completed, by listener and protocol version.',
  ['listener', 'protocol'],
);
const handshakeErrors = new LeanCounter(
  'proxy_tls_handshake_errors_total',
  'TLS handshakes that failed, by listener and reason: unknown_ca, bad_certificate, no_shared_cipher, ' +
    'protocol_version, http_request (plain HTTP sent to the TLS port), timeout, reset, other.',
  ['listener', 'reason'],
);
const certificateExpiry = new LeanGauge(
  'proxy_tls_certificate_expiry_timestamp_seconds',
  'When the certificate a TLS listener serves expires (Unix time).',
  ['listener'],
  'min',
);

const REASONS: [RegExp, string][] = [
  [/UNKNOWN_CA|unknown ca/i, 'unknown_ca'],
  [
    /BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|bad certificate|certificate unknown|CERTIFICATE_EXPIRED/i,
    'bad_certificate',
  ],
  [/NO_SHARED_CIPHER|no shared cipher|HANDSHAKE_FAILURE/i, 'no_shared_cipher'],
  [/UNSUPPORTED_PROTOCOL|VERSION|unsupported protocol|protocol version/i, 'protocol_version'],
  [/HTTP_REQUEST|http request/i, 'http_request'],
  [/TIMEOUT|timed out/i, 'timeout'],
  [/ECONNRESET|EPIPE|socket hang up/i, 'reset'],
];

/** A tlsClientError as one of a few reasons (a bounded label set). */
export function handshakeErrorReason(error: Error & { code?: string }): string {
  const text = `${error.code ?? ''} ${error.message}`;
  for (const [pattern, reason] of REASONS) if (pattern.test(text)) return reason;
  return 'other';
}

export function tlsMetrics(listener: string) {
  const byProtocol = new Map<string, ReturnType<LeanCounter['child']>>();
  return {
    handshake(protocol: string | null): void {
      const key = protocol ?? 'unknown';
      let child = byProtocol.get(key);
      if (!child) {
        child = handshakes.child(listener, key);
        byProtocol.set(key, child);
      }
      child.inc();
    },
    handshakeError(error: Error): string {
      const reason = handshakeErrorReason(error);
      handshakeErrors.child(listener, reason).inc();
      return reason;
    },
    certificateExpiry(seconds: number): void {
      certificateExpiry.child(listener).set(seconds);
    },
  };
}
