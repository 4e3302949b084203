// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} in plain strings is the syntax under test.
// Environment interpolation as Docker Compose does it (compose-spec "Interpolation").
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SubstitutionError, substitute } from '../src/config/substitute.ts';

const env = { SET: 'value', EMPTY: '', PORT: '8080', HOST: 'example.test', DOLLAR: 'a$b' };

describe('substitute', () => {
  test('text without a $ is returned as is', () => {
    assert.equal(substitute('plain text: {braces} too', env), 'plain text: {braces} too');
  });

  test('${VAR} and $VAR', () => {
    assert.equal(substitute('${SET}', env), 'value');
    assert.equal(substitute('$SET', env), 'value');
    assert.equal(substitute('http://${HOST}:${PORT}/x', env), 'http://example.test:8080/x');
    assert.equal(substitute('$HOST:$PORT', env), 'example.test:8080');
    // An unbraced name ends at the first character that cannot be in a name.
    assert.equal(substitute('$SET-suffix', env), 'value-suffix');
    assert.equal(substitute('${SET}suffix', env), 'valuesuffix');
  });

  test('an unset variable becomes the empty string', () => {
    assert.equal(substitute('[${MISSING}]', env), '[]');
    assert.equal(substitute('[$MISSING]', env), '[]');
  });

  test('${VAR:-default} uses the default when unset or empty', () => {
    assert.equal(substitute('${MISSING:-fallback}', env), 'fallback');
    assert.equal(substitute('${EMPTY:-fallback}', env), 'fallback');
    assert.equal(substitute('${SET:-fallback}', env), 'value');
    assert.equal(substitute('${MISSING:-}', env), '');
  });

  test('${VAR-default} uses the default only when unset', () => {
    assert.equal(substitute('${MISSING-fallback}', env), 'fallback');
    assert.equal(substitute('${EMPTY-fallback}', env), '');
    assert.equal(substitute('${SET-fallback}', env), 'value');
  });

  test('defaults may contain spaces, colons, slashes and braces', () => {
    assert.equal(substitute('${URL:-http://localhost:8080/a b}', env), 'http://localhost:8080/a b');
    assert.equal(substitute('${MISSING:-{x}}', env), '{x}');
  });

  test('defaults are themselves interpolated, nested to any depth', () => {
    assert.equal(substitute('${MISSING:-${SET}}', env), 'value');
    assert.equal(substitute('${MISSING:-${ALSO_MISSING:-deep}}', env), 'deep');
    assert.equal(substitute('${A:-${B:-${C:-three}}}', env), 'three');
    assert.equal(substitute('${MISSING:-$HOST:${PORT}}', env), 'example.test:8080');
    // A default is only expanded when it is used.
    assert.equal(substitute('${SET:-${REQUIRED:?never evaluated}}', env), 'value');
  });

  test('${VAR:?message} and ${VAR?message} require a value', () => {
    assert.equal(substitute('${SET:?needed}', env), 'value');
    assert.throws(() => substitute('${MISSING:?set MISSING to the API key}', env), {
      message: 'required variable MISSING is missing a value: set MISSING to the API key',
    });
    assert.throws(() => substitute('${EMPTY:?must not be empty}', env), SubstitutionError);
    // Without the colon an empty value is fine, only unset is an error.
    assert.equal(substitute('${EMPTY?must be set}', env), '');
    assert.throws(() => substitute('${MISSING?must be set}', env), /required variable MISSING/);
    assert.throws(() => substitute('${MISSING:?}', env), /MISSING is missing a value: not set/);
  });

  test('${VAR:+alt} and ${VAR+alt} replace a value that is there', () => {
    assert.equal(substitute('${SET:+replaced}', env), 'replaced');
    assert.equal(substitute('${EMPTY:+replaced}', env), '');
    assert.equal(substitute('${MISSING:+replaced}', env), '');
    assert.equal(substitute('${EMPTY+replaced}', env), 'replaced');
    assert.equal(substitute('${MISSING+replaced}', env), '');
    assert.equal(substitute('${SET:+${HOST}}', env), 'example.test');
  });

  test('$$ is a literal dollar and is never expanded', () => {
    assert.equal(substitute('$$', env), '$');
    assert.equal(substitute('cost: $$5', env), 'cost: $5');
    assert.equal(substitute('$${SET}', env), '${SET}');
    assert.equal(substitute('$$SET', env), '$SET');
    assert.equal(substitute('$$$SET', env), '$value');
    assert.equal(substitute('${MISSING:-$$}', env), '$');
  });

  test('a $ that starts no variable is kept (regexes such as ^/api$ stay usable)', () => {
    assert.equal(substitute('^/api$', env), '^/api$');
    assert.equal(substitute('$1 and $-', env), '$1 and $-');
  });

  test('values are not interpolated again', () => {
    assert.equal(substitute('${DOLLAR}', env), 'a$b');
    assert.equal(substitute('${MISSING:-${DOLLAR}}', env), 'a$b');
    assert.equal(substitute('${REF}', { REF: '${SET}', SET: 'value' }), '${SET}');
  });

  test('variable names follow shell rules and are case sensitive', () => {
    assert.equal(substitute('${_under_score1}', { _under_score1: 'ok' }), 'ok');
    assert.equal(substitute('${set}', env), '');
  });

  test('malformed expressions are errors that quote the expression', () => {
    assert.throws(() => substitute('${SET', env), { message: 'unclosed "${" in "${SET"' });
    assert.throws(() => substitute('x ${MISSING:-${SET}', env), /unclosed/);
    assert.throws(() => substitute('${}', env), { message: 'invalid variable name in "${}"' });
    assert.throws(() => substitute('${1ABC}', env), /invalid variable name in "\$\{1ABC\}"/);
    assert.throws(() => substitute('${SET:x}', env), { message: 'invalid substitution "${SET:x}"' });
    assert.throws(() => substitute('${SET X}', env), SubstitutionError);
  });
});
