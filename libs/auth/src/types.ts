/** A shared secret; `kid` is optional because many HS256 callers never send one. */
export type HmacKey = { kid?: string; alg: 'HS256'; secret: string };

/** An asymmetric public key; `kid` is required so the verifier never has to guess among them. */
export type PublicKeyEntry = { kid: string; alg: 'RS256' | 'ES256'; publicKey: string /* PEM */ };

export interface ClientConfig {
  /** Equals the `iss` claim the client puts in its tokens. */
  clientId: string;
  /** Several keys may be live at once so keys rotate without downtime. */
  keys: Array<HmacKey | PublicKeyEntry>;
  /**
   * What the client may ever be granted: a token gets the scopes it claims AND finds here, so
   * holding a signing key is not enough to become an administrator. Missing means none.
   */
  scopes: string[];
  /** Trigger sources the client may post: exact names, prefixes written `billing.*`, or `*`. */
  sources?: string[];
}

export interface VerifierOptions {
  audience: string;
  clients: ClientConfig[];
  /** Default 30. */
  clockSkewSeconds?: number;
  /** Longest accepted `exp - iat` (or `exp - now` without iat); default 3600. */
  maxLifetimeSeconds?: number;
  /** Refused tokens one caller address may earn per minute before its new tokens get 429 (RefusalLimit). */
  refusedTokensPerMinute?: number;
  /** Milliseconds; default Date.now. */
  now?: () => number;
  /** Receives the reason a token was refused (the 401 itself names none); default a debug log line. */
  onRefused?: (reason: string) => void;
}

export interface Principal {
  clientId: string;
  subject: string;
  /** The granted scopes: claimed by the token and allowed by the client's configuration. */
  scopes: string[];
  /** The trigger sources the client's configuration allows (see ClientConfig.sources). */
  sources: string[];
  jti?: string;
  claims: Record<string, unknown>;
  /** An operator signed in to the portal (a session cookie instead of a token): who and in which role. */
  user?: { username: string; role: string };
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
