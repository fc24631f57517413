import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** The keys secrets are sealed with (FERRY_SCHEDULER_SECRET_KEYS), by key id; `keyId` seals new values. */
export interface SecretKeys {
  keys: Record<string, Buffer>;
  keyId: string;
}

export type SecretProblem = 'NOT_SEALED' | 'UNKNOWN_KEY' | 'TAMPERED';

/** A stored value that cannot be opened: never used, and never shown (it names the key, not the value). */
export class SecretBoxError extends Error {
  constructor(
    readonly problem: SecretProblem,
    message: string,
  ) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

const VERSION = 'v1';
const B64 = '[A-Za-z0-9+/]*={0,2}';
const ENVELOPE = new RegExp(`^${VERSION}:([A-Za-z0-9._-]{1,64}):(${B64}):(${B64}):(${B64})$`);
export const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * AES-256-GCM with a random 96-bit IV per value, stored as text that every database keeps as is:
 * `v1:<kid>:<iv>:<tag>:<ciphertext>` (base64). The key id names the key that opens it, so keys rotate
 * without a flag day. The version, key id and `context` (what the value belongs to, e.g. one auth
 * profile) are authenticated too: a value copied into another row, or relabelled, does not open.
 */
export class SecretBox {
  constructor(private readonly config: SecretKeys) {
    for (const [kid, key] of Object.entries(config.keys)) {
      if (!KEY_ID_PATTERN.test(kid)) throw new Error(`secret key id "${kid}" must match ${KEY_ID_PATTERN}`);
      if (key.length !== 32) throw new Error(`secret key "${kid}" must be 32 bytes, not ${key.length}`);
    }
    if (!config.keys[config.keyId]) throw new Error(`secret key id "${config.keyId}" names no configured key`);
  }

  /** The key id new values are sealed with. */
  get keyId(): string {
    return this.config.keyId;
  }

  seal(plaintext: string, context: string): string {
    const kid = this.config.keyId;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.config.keys[kid], iv);
    cipher.setAAD(aad(kid, context));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, kid, iv.toString('base64'), cipher.getAuthTag().toString('base64'), ct.toString('base64')].join(
      ':',
    );
  }

  open(stored: string, context: string): string {
    const m = ENVELOPE.exec(stored);
    if (!m) throw new SecretBoxError('NOT_SEALED', 'the stored value is not encrypted');
    const [, kid, iv, tag, ct] = m;
    const key = this.config.keys[kid];
    if (!key)
      throw new SecretBoxError('UNKNOWN_KEY', `the stored value is sealed with key "${kid}", which is not configured`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'), { authTagLength: 16 });
      decipher.setAAD(aad(kid, context));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError('TAMPERED', `the stored value fails its integrity check under key "${kid}"`);
    }
  }

  /** The key id a stored value names, or undefined if it is not a sealed value. */
  static keyIdOf(stored: string): string | undefined {
    return ENVELOPE.exec(stored)?.[1];
  }
}

function aad(kid: string, context: string): Buffer {
  return Buffer.from(`${VERSION}:${kid}:${context}`, 'utf8');
}
