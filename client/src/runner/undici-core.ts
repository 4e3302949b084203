// The two parts of undici a probe uses: its HTTP/1.1 Client and its connector. undici's main entry
// also loads fetch, WebSocket, EventSource, its caches and its mocks (110 modules, a tenth of a second
// of every start, and `prober --once` is a start); these two load 18. undici has no "exports" map, so
// the files are reachable, and they are the very objects the main entry exports (a test checks it), so
// the version pinned in package.json is the contract. The instrumentation sees every request alike: it
// listens on undici's diagnostics channels, not on its entry.
import { createRequire } from 'node:module';
import type * as Undici from 'undici';

const require = createRequire(import.meta.url);

export const Client = require('undici/lib/dispatcher/client.js') as typeof Undici.Client;
export type Client = Undici.Client;
export const buildConnector = require('undici/lib/core/connect.js') as typeof Undici.buildConnector;
export type Connector = Undici.buildConnector.connector;
export type DispatchHandler = Undici.Dispatcher.DispatchHandler;
export type DispatchController = Undici.Dispatcher.DispatchController;
