// The two parts of undici a probe uses: its HTTP/1.1 Client and its connector. undici's main entry
// also loads fetch, WebSocket, EventSource, its caches and its mocks (110 modules, a tenth of a second
// of every start, and `prober --once` is a start); these two load 18. undici has no "exports" map, so
// the files are reachable, and they are the very objects the main entry exports (a test checks it), so
// the version pinned in package.json is the contract. The instrumentation sees every request alike: it
// listens on undici's diagnostics channels, not on its entry.
import { createRequire, Module } from 'node:module';
import type * as Undici from 'undici';

const require = createRequire(import.meta.url);

deferHttp2();

export const Client = require('undici/lib/dispatcher/client.js') as typeof Undici.Client;
export type Client = Undici.Client;
export const buildConnector = require('undici/lib/core/connect.js') as typeof Undici.buildConnector;
export type Connector = Undici.buildConnector.connector;
export type DispatchHandler = Undici.Dispatcher.DispatchHandler;
export type DispatchController = Undici.Dispatcher.DispatchController;

/**
 * The Client requires its HTTP/2 half when it loads, and with it node:http2 and node:tls: about 10 ms
 * of every start, for probes that mostly speak HTTP/1.1. It calls it only on a connection whose TLS
 * server chose h2. A stand-in, put where require() looks first, loads the real one on that first call.
 */
function deferHttp2(): void {
  const file = require.resolve('undici/lib/dispatcher/client-h2.js');
  if (require.cache[file]) return; // undici is loaded already, HTTP/2 with it
  let connectH2: ((...args: unknown[]) => unknown) | undefined;
  const standIn = new Module(file);
  standIn.filename = file;
  standIn.loaded = true;
  standIn.exports = (...args: unknown[]) => {
    if (!connectH2) {
      delete require.cache[file];
      connectH2 = require(file) as (...args: unknown[]) => unknown;
    }
    return connectH2(...args);
  };
  require.cache[file] = standIn;
}
