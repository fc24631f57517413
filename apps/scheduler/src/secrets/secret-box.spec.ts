import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { EnvReader, readDevelopment } from '#ferry/config';
import { SecretBox } from './secret-box.js';
import { DEVELOPMENT_SECRET_KEYS, readSecretKeys } from './secret-keys.js';

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const box = (keyId: string, keys: Record<string, Buffer> = { k1, k2 }) => new SecretBox({ keys, keyId });
const SECRET = 'a-downstream-hmac-secret-0123456789';

/** Changes one base64 character of the envelope's part `i` (2 iv, 3 tag, 4 ciphertext). */
function flip(stored: string, i: number): string {
  const parts = stored.split(':');
  const c = parts[i][0];
  parts[i] = (c === 'A' ? 'B' : 'A') + parts[i].slice(1);
  return parts.join(':');
}

describe('SecretBox', () => {
  it('seals as v1:<kid>:<iv>:<tag>:<ciphertext> without the plaintext, a new IV each time, and opens it', () => {
    const sealed = box('k1').seal(SECRET, 'auth_profile:a');
    expect(sealed).toMatch(/^v1:k1:[A-Za-z0-9+/]{16}:[A-Za-z0-9+/]{22}==:[A-Za-z0-9+/=]+$/);
    expect(sealed).not.toContain(SECRET);
    expect(sealed).not.toContain(Buffer.from(SECRET).toString('base64').slice(0, 12));
    expect(box('k1').seal(SECRET, 'auth_profile:a')).not.toBe(sealed);
    expect(box('k1').open(sealed, 'auth_profile:a')).toBe(SECRET);
    expect(SecretBox.keyIdOf(sealed)).toBe('k1');
  });

  it('opens with whichever configured key the envelope names, and seals new values with the current one', () => {
    const old = box('k1').seal(SECRET, 'c');
    const rotated = box('k2');
    expect(rotated.open(old, 'c')).toBe(SECRET);
    expect(SecretBox.keyIdOf(rotated.seal(SECRET, 'c'))).toBe('k2');
  });

  it('refuses a changed IV, tag, ciphertext or key id, another context, a removed key and plaintext', () => {
    const b = box('k1');
    const sealed = b.seal(SECRET, 'auth_profile:a');
    for (const i of [2, 3, 4]) expect(() => b.open(flip(sealed, i), 'auth_profile:a')).toThrow(/integrity check/);
    expect(() => b.open(sealed.replace('v1:k1:', 'v1:k2:'), 'auth_profile:a')).toThrow(/integrity check/);
    expect(() => b.open(sealed, 'auth_profile:b')).toThrow(/integrity check under key "k1"/);
    const [, , iv, tag, ct] = sealed.split(':');
    expect(() => b.open(`v1:k1:${iv}:${tag.slice(0, 8)}:${ct}`, 'auth_profile:a')).toThrow(/integrity check/);
    expect(() => box('k2', { k2 }).open(sealed, 'auth_profile:a')).toThrow(/key "k1", which is not configured/);
    expect(() => b.open(SECRET, 'auth_profile:a')).toThrow(/not encrypted/);
    expect(SecretBox.keyIdOf(SECRET)).toBeUndefined();
  });

  it('refuses a key that is not 32 bytes and a current key id naming no key', () => {
    expect(() => box('k1', { k1: randomBytes(16) })).toThrow(/must be 32 bytes, not 16/);
    expect(() => box('k3')).toThrow(/names no configured key/);
  });
});

describe('readSecretKeys (FERRY_SCHEDULER_SECRET_KEYS, FERRY_SCHEDULER_SECRET_KEY_ID)', () => {
  const read = (env: Record<string, string>, development = 'true') => {
    const reader = new EnvReader({ FERRY_DEV_MODE: development, ...env });
    const keys = readSecretKeys(reader, readDevelopment(reader));
    return { keys, done: () => reader.done('scheduler') };
  };
  const b64 = (n: number) => randomBytes(n).toString('base64');

  it('defaults to the public development key, and takes the only key as the current one', () => {
    const dev = read({});
    dev.done();
    expect({ keyId: dev.keys.keyId, development: dev.keys.development }).toEqual({ keyId: 'dev', development: true });
    const one = read({ FERRY_SCHEDULER_SECRET_KEYS: JSON.stringify({ prod1: b64(32) }) });
    one.done();
    expect({ keyId: one.keys.keyId, development: one.keys.development }).toEqual({
      keyId: 'prod1',
      development: false,
    });
    expect(new SecretBox(one.keys).keyId).toBe('prod1');
  });

  it('outside development mode needs keys of its own, and never seals with the development key', () => {
    expect(read({}, 'false').done).toThrow(/FERRY_SCHEDULER_SECRET_KEYS is not set: outside development mode/);
    const moving = { FERRY_SCHEDULER_SECRET_KEYS: JSON.stringify({ ...DEVELOPMENT_SECRET_KEYS, prod1: b64(32) }) };
    expect(read({ ...moving, FERRY_SCHEDULER_SECRET_KEY_ID: 'dev' }, 'false').done).toThrow(
      /"dev" is the public development key/,
    );
    const rotated = read({ ...moving, FERRY_SCHEDULER_SECRET_KEY_ID: 'prod1' }, 'false');
    rotated.done();
    expect(Object.keys(rotated.keys.keys).sort()).toEqual(['dev', 'prod1']);
  });

  it('stops the boot for a key that is not 32 bytes of base64, a bad key id, or no current key among several', () => {
    const { done } = read({
      FERRY_SCHEDULER_SECRET_KEYS: JSON.stringify({
        short: b64(16),
        'bad:id': b64(32),
        text: 'not base64!',
        ok: b64(32),
      }),
    });
    expect(done).toThrow(/FERRY_SCHEDULER_SECRET_KEYS\.short must be 32 bytes in base64 .*got 16 bytes/);
    expect(done).toThrow(/key id "bad:id" must be/);
    expect(done).toThrow(/FERRY_SCHEDULER_SECRET_KEYS\.text must be 32 bytes/);
    expect(done).toThrow(/FERRY_SCHEDULER_SECRET_KEY_ID is required with several secret keys/);
    const other = read({
      FERRY_SCHEDULER_SECRET_KEYS: JSON.stringify({ a: b64(32) }),
      FERRY_SCHEDULER_SECRET_KEY_ID: 'b',
    });
    expect(other.done).toThrow(/FERRY_SCHEDULER_SECRET_KEY_ID "b" names no key/);
    expect(read({ FERRY_SCHEDULER_SECRET_KEYS: '[]' }).done).toThrow(/must be a JSON object/);
    expect(read({ FERRY_SCHEDULER_SECRET_KEYS: '{}' }).done).toThrow(/holds no key/);
  });
});
