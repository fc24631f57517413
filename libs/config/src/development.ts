import type { EnvReader } from './env.js';

/** The secret every app shares in development mode. It is public (it is in this file): never trusted outside it. */
export const DEV_SECRET = 'ferry-dev-secret-change-me';

/** RFC 7518 §3.2: an HS256 key at least as long as the hash (256 bits). */
export const MIN_HS256_SECRET_BYTES = 32;

/**
 * Development mode (`FERRY_DEV_MODE=true`, set by the demo and the tests) is the only place the
 * public development secret, the default clients and loopback addresses are trusted. Outside it an app
 * refuses to start until each of them is replaced, and says which setting to change.
 */
export interface Development {
  on: boolean;
  /** The shared secret in development mode; empty outside it. */
  secret: string;
}

export function readDevelopment(env: EnvReader): Development {
  const on = env.bool('FERRY_DEV_MODE', false);
  return { on, secret: on ? env.str('FERRY_DEV_SECRET', DEV_SECRET) : '' };
}

/**
 * A secret this app signs its own HS256 tokens with. In development mode it falls back to the shared
 * development secret; outside it the setting is required, may not be the development secret and must be
 * at least 32 bytes.
 */
export function readSigningSecret(env: EnvReader, dev: Development, name: string): string {
  if (dev.on) return env.str(name, dev.secret);
  const secret = env.str(name);
  if (secret) checkHs256Secret(env, dev, name, secret);
  return secret;
}

/** Outside development mode: no development secret, nothing shorter than 32 bytes. */
export function checkHs256Secret(env: EnvReader, dev: Development, where: string, secret: string): void {
  if (dev.on) return;
  const fix = '(generate one with `openssl rand -base64 48`)';
  if (secret === DEV_SECRET) {
    env.problem(`${where} is the public development secret: set a secret of your own ${fix}`);
  } else if (Buffer.byteLength(secret, 'utf8') < MIN_HS256_SECRET_BYTES) {
    env.problem(
      `${where} is ${Buffer.byteLength(secret, 'utf8')} bytes: an HS256 secret needs at least ` +
        `${MIN_HS256_SECRET_BYTES} ${fix}`,
    );
  }
}
