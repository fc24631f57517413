/** A shared secret; `kid` is optional because many HS256 callers never send one. */
export type HmacKey = { kid?: string; alg: 'HS256'; secret: string };

/** An asymmetric public key; `kid` is required so the verifier never has to guess among them. */
export type PublicKeyEntry = { kid: string; alg: 'RS256' | 'ES256'; publicKey: string /* PEM */ };

export interface ClientConfig {
  /** Equals the `iss` claim the client puts in its tokens. */
  clientId: string;
  /** Several keys may be live at once so keys rotate without downtime. */
  keys: Array<HmacKey | PublicKeyEntry>;
}

export interface VerifierOptions {
  audience: string;
  clients: ClientConfig[];
  /** Default 30. */
  clockSkewSeconds?: number;
  /** Milliseconds; default Date.now. */
  now?: () => number;
}

export interface Principal {
  clientId: string;
  subject: string;
  scopes: string[];
  jti?: string;
  claims: Record<string, unknown>;
}

export type SigningKey =
  { alg: 'HS256'; secret: string; kid?: string } | { alg: 'RS256' | 'ES256'; privateKey: string; kid: string };

export interface SigningProfile {
  issuer: string;
  audience: string;
  scopes: string[];
  /** Defaults to the issuer: a service acting on its own behalf. */
  subject?: string;
  ttlSeconds: number;
  key: SigningKey;
}
