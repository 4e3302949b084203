// Blackbox-style phase timing for one run on its own connection. The connector sees DNS, TCP and TLS
// events of the socket it opens; undici's `undici:client:sendHeaders` channel says when the request
// went out on that socket. Because the connection belongs to this run only, every event is ours.
import { subscribe } from 'node:diagnostics_channel';
import { isIP, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { systemClock } from '../clock.ts';
import type { Phases } from '../types.ts';
import type { Connector } from './undici-core.ts';

const recorders = new WeakMap<object, PhaseRecorder>();
let subscribed = false;

function watchRequestsSent(): void {
  if (subscribed) return;
  subscribed = true;
  subscribe('undici:client:sendHeaders', (message) => {
    const { socket } = message as { socket?: object };
    if (socket) recorders.get(socket)?.mark('requestSent');
  });
}

type Mark = 'start' | 'lookup' | 'connect' | 'secureConnect' | 'requestSent' | 'firstByte' | 'end';

export class PhaseRecorder {
  readonly marks: Partial<Record<Mark, number>> = {};
  /** The socket the run opened, once it has one. */
  socket?: Socket;
  /** Set when the exchange failed: its client may still be connecting, or hold the request. */
  failed = false;
  /** The earliest certificate expiry seen on a TLS connection, in epoch seconds. */
  certificateExpiry?: number;
  #tls = false;
  #resolves = false;
  #lookupFailed = false;
  readonly now: () => number;

  constructor(now: () => number = systemClock.now) {
    this.now = now;
    watchRequestsSent();
  }

  mark(name: Mark): void {
    this.marks[name] ??= this.now();
  }

  /** Wraps a connector so that the socket it opens reports to this recorder. */
  wrap(connector: Connector): Connector {
    return (options, callback) => this.connect(connector, options, callback);
  }

  /** Opens a connection through `connector`, timing its socket's DNS, TCP and TLS events. */
  connect(connector: Connector, ...[options, callback]: Parameters<Connector>): void {
    this.mark('start');
    this.#tls = options.protocol === 'https:';
    this.#resolves = isIP(options.hostname.replace(/^\[|\]$/g, '')) === 0;
    // Types say void; buildConnector returns the socket.
    const socket = (connector as unknown as (...args: Parameters<Connector>) => Socket | undefined)(
      options,
      callback,
    );
    if (!socket) return;
    this.socket = socket;
    recorders.set(socket, this);
    socket.once('lookup', (error: Error | null) => {
      this.mark('lookup');
      if (error) this.#lookupFailed = true;
    });
    socket.once('connect', () => this.mark('connect'));
    socket.once('secureConnect', () => {
      this.mark('secureConnect');
      this.certificateExpiry = earliestExpiry(socket as TLSSocket);
    });
  }

  /**
   * Milliseconds per phase; a phase that did not happen (no DNS for an IP, no TLS for http) is 0.
   * When a run fails, the phase it failed in runs to the end: that is where the time went.
   */
  phases(): Phases {
    const { start, lookup, connect, secureConnect, requestSent, firstByte, end } = this.marks;
    const span = (from: number | undefined, to: number | undefined) =>
      from !== undefined && to !== undefined ? round(Math.max(0, to - from)) : 0;
    const connected = this.#tls ? secureConnect : connect;
    // A name that never resolved (failed, or still resolving at the timeout) spent its time in DNS.
    const stuckInDns = this.#resolves && (lookup === undefined || this.#lookupFailed);
    return {
      resolve: span(start, stuckInDns ? end : lookup),
      connect: stuckInDns ? 0 : span(lookup ?? start, connect ?? end),
      tls: this.#tls ? span(connect, secureConnect ?? end) : 0,
      processing: span(requestSent ?? connected, firstByte ?? (connected === undefined ? undefined : end)),
      transfer: span(firstByte, end),
    };
  }
}

function earliestExpiry(socket: TLSSocket): number | undefined {
  let earliest: number | undefined;
  const seen = new Set<string>();
  let certificate = socket.getPeerCertificate?.(true);
  while (
    certificate &&
    'valid_to' in certificate &&
    certificate.valid_to &&
    !seen.has(certificate.fingerprint256)
  ) {
    seen.add(certificate.fingerprint256);
    const expiry = Date.parse(certificate.valid_to) / 1000;
    if (Number.isFinite(expiry)) earliest = earliest === undefined ? expiry : Math.min(earliest, expiry);
    certificate = certificate.issuerCertificate;
  }
  return earliest;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
