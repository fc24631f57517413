import type { Development, EnvReader } from '#ferry/config';
import { KEY_ID_PATTERN, type SecretKeys } from './secret-box.js';

/**
 * The development key, public on purpose (README, docs/security.md): the demo and the tests run without
 * configuring one. A deployment sets its own keys and re-seals what the development key sealed.
 */
export const DEVELOPMENT_SECRET_KEYS = { dev: 'O70Ivm4tr4e2rxsyKKHp7eHMjMjQedpQ0soBbvxFHJo=' };

/**
 * FERRY_SCHEDULER_SECRET_KEYS: JSON `{"<kid>": "<32 bytes, base64>", ...}`, every key that may open a
 * stored value; FERRY_SCHEDULER_SECRET_KEY_ID: the one new values are sealed with (may be left out when
 * there is one key). A key that is not 32 bytes, or a key id naming none, stops the boot. The development
 * key is the default only in development mode; outside it the setting is required, and the development
 * key may stay listed (to open what it sealed until the rotation) but never seal.
 */
export function readSecretKeys(env: EnvReader, dev: Development): SecretKeys & { development: boolean } {
  if (!dev.on && env.optional('FERRY_SCHEDULER_SECRET_KEYS') === undefined)
    env.problem(
      'FERRY_SCHEDULER_SECRET_KEYS is not set: outside development mode (FERRY_DEV_MODE=true) auth profiles ' +
        'are sealed with a key of your own (openssl rand -base64 32)',
    );
  const raw = env.json<unknown>('FERRY_SCHEDULER_SECRET_KEYS', dev.on ? DEVELOPMENT_SECRET_KEYS : {});
  const given = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  if (given !== raw)
    env.problem('FERRY_SCHEDULER_SECRET_KEYS must be a JSON object {"<key id>": "<32 bytes in base64>"}');
  else if (!Object.keys(given).length && env.optional('FERRY_SCHEDULER_SECRET_KEYS') !== undefined)
    env.problem('FERRY_SCHEDULER_SECRET_KEYS holds no key');
  const keys: Record<string, Buffer> = {};
  for (const [kid, value] of Object.entries(given)) {
    const key = typeof value === 'string' ? Buffer.from(value, 'base64') : Buffer.alloc(0);
    if (!KEY_ID_PATTERN.test(kid))
      env.problem(`FERRY_SCHEDULER_SECRET_KEYS: key id "${kid}" must be 1-64 of A-Z a-z 0-9 . _ -`);
    else if (key.length !== 32 || key.toString('base64') !== value)
      env.problem(
        `FERRY_SCHEDULER_SECRET_KEYS.${kid} must be 32 bytes in base64 (openssl rand -base64 32), ` +
          `got ${typeof value === 'string' ? `${key.length} bytes` : typeof value}`,
      );
    else keys[kid] = key;
  }
  const ids = Object.keys(given);
  const keyId = env.str('FERRY_SCHEDULER_SECRET_KEY_ID', ids.length === 1 ? ids[0] : '');
  if (!keyId && ids.length > 1)
    env.problem('FERRY_SCHEDULER_SECRET_KEY_ID is required with several secret keys: it names the one that seals');
  else if (keyId && !(keyId in given))
    env.problem(`FERRY_SCHEDULER_SECRET_KEY_ID "${keyId}" names no key of FERRY_SCHEDULER_SECRET_KEYS`);
  else if (!dev.on && keyId && given[keyId] === DEVELOPMENT_SECRET_KEYS.dev)
    env.problem(
      `FERRY_SCHEDULER_SECRET_KEY_ID "${keyId}" is the public development key: outside development mode new ` +
        'values are sealed with a key of your own',
    );
  return { keys, keyId, development: raw === DEVELOPMENT_SECRET_KEYS };
}
