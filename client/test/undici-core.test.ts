// The runner takes undici's Client and connector from their own files (src/runner/undici-core.ts):
// they must be the very objects undici's entry exports, or an undici upgrade moved them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as undici from 'undici';
import { buildConnector, Client } from '../src/runner/undici-core.ts';

describe('undici core', () => {
  it("is undici's own Client and buildConnector", () => {
    assert.equal(Client, undici.Client);
    assert.equal(buildConnector, undici.buildConnector);
  });
});
