import { createPrivateKey } from 'node:crypto';

interface ProfileBase {
  name: string;
  /** `scheme://host[:port]` the credential may be sent to; none: anywhere in development mode, nowhere outside. */
  origins?: string[];
}

/** A fixed key sent in a header of its choosing. */
export interface ApiKeySinkProfile extends ProfileBase {
  type: 'apiKey';
  header: string;
  key: string;
}

/** A JWT signed per request (reused until near expiry), sent as `Authorization: Bearer`. */
export interface JwtSinkProfile extends ProfileBase {
  type: 'jwt';
  alg: 'HS256' | 'RS256' | 'ES256';
  /** The HS256 secret, or the RS256/ES256 private key as PEM. */
  secret: string;
  kid?: string;
  issuer: string;
  audience: string;
  scopes: string[];
  ttlSeconds: number;
}

export type SinkProfile = ApiKeySinkProfile | JwtSinkProfile;

const PROFILE_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const HEADER = /^[A-Za-z0-9-]{1,100}$/;
/** An HS256 secret shorter than its hash is guessable offline from one token (RFC 7518, 3.2). */
const MIN_HS256_BYTES = 32;

/**
 * FERRY_CONSUMER_SINK_PROFILES, either a JSON array of profiles or the older `name=header:key` comma list
 * (API keys without origins). Problems name the profile and the field, never a key or a secret.
 */
export function parseSinkProfiles(
  raw: string,
  development: boolean,
): { profiles: Record<string, SinkProfile>; problems: string[] } {
  const profiles: Record<string, SinkProfile> = {};
  const problems: string[] = [];
  const seen = new Set<string>();
  const text = raw.trim();
  if (!text.startsWith('[')) {
    for (const entry of text.split(',').map((e) => e.trim())) {
      if (!entry) continue;
      const m = /^([a-z0-9][a-z0-9_-]{0,63})=([A-Za-z0-9-]{1,100}):(.+)$/.exec(entry);
      if (m) profiles[m[1]] = { name: m[1], type: 'apiKey', header: m[2].toLowerCase(), key: m[3] };
      else problems.push('an entry is not profile=header:key (profile names: a-z, 0-9, _ and -)');
    }
    return { profiles, problems };
  }
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    // The parser's message may quote the text, and so a secret.
    return { profiles, problems: ['is not valid JSON'] };
  }
  if (!Array.isArray(list)) return { profiles, problems: ['is not a JSON array of profiles'] };
  list.forEach((item, i) => {
    const at = `profile ${i + 1}`;
    const p = (item ?? {}) as Record<string, unknown>;
    const name = typeof p.name === 'string' && PROFILE_NAME.test(p.name) ? p.name : undefined;
    if (!name) return problems.push(`${at}: "name" must be a-z, 0-9, _ and - (up to 64)`);
    const where = `profile "${name}"`;
    if (seen.has(name)) return problems.push(`${where} is defined twice`);
    seen.add(name);
    const mine: string[] = [];
    const origins = readOrigins(p.origins, mine);
    let profile: SinkProfile | undefined;
    if (p.type === 'apiKey') profile = readApiKey(p, name, mine);
    else if (p.type === 'jwt') profile = readJwt(p, name, development, mine);
    else mine.push(`"type" must be "apiKey" or "jwt"`);
    problems.push(...mine.map((m) => `${where}: ${m}`));
    if (profile && !mine.length) profiles[name] = origins ? { ...profile, origins } : profile;
  });
  return { profiles, problems };
}

function readOrigins(value: unknown, problems: string[]): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    problems.push('"origins" must be an array of origins');
    return undefined;
  }
  return value.flatMap((entry) => {
    const url = typeof entry === 'string' && URL.canParse(entry) ? new URL(entry) : undefined;
    const plain = url && !url.username && !url.password && !url.search && !url.hash && url.pathname === '/';
    if (url && plain && (url.protocol === 'http:' || url.protocol === 'https:')) return [url.origin];
    problems.push(`"origins": ${JSON.stringify(entry)} is not an origin (http or https://host[:port], no path)`);
    return [];
  });
}

function readApiKey(p: Record<string, unknown>, name: string, problems: string[]): ApiKeySinkProfile | undefined {
  if (typeof p.header !== 'string' || !HEADER.test(p.header)) problems.push('"header" must be a header name');
  if (typeof p.key !== 'string' || !p.key) problems.push('"key" must be a non-empty string');
  if (problems.length) return undefined;
  return { name, type: 'apiKey', header: (p.header as string).toLowerCase(), key: p.key as string };
}

function readJwt(
  p: Record<string, unknown>,
  name: string,
  development: boolean,
  problems: string[],
): JwtSinkProfile | undefined {
  const alg = p.alg;
  if (alg !== 'HS256' && alg !== 'RS256' && alg !== 'ES256') problems.push('"alg" must be HS256, RS256 or ES256');
  const secret = typeof p.secret === 'string' ? p.secret : '';
  if (!secret) problems.push('"secret" must be a non-empty string');
  else if (alg === 'HS256' && !development && Buffer.byteLength(secret) < MIN_HS256_BYTES)
    problems.push(`"secret" must be at least ${MIN_HS256_BYTES} bytes outside development mode`);
  else if (alg === 'RS256' || alg === 'ES256') {
    const expected = alg === 'RS256' ? 'rsa' : 'ec';
    let type: string | undefined;
    try {
      type = createPrivateKey(secret).asymmetricKeyType;
    } catch {
      type = undefined;
    }
    if (type !== expected) problems.push(`"secret" must be an ${expected.toUpperCase()} private key in PEM for ${alg}`);
  }
  for (const field of ['issuer', 'audience'] as const)
    if (typeof p[field] !== 'string' || !p[field]) problems.push(`"${field}" must be a non-empty string`);
  if (p.kid !== undefined && (typeof p.kid !== 'string' || !p.kid)) problems.push('"kid" must be a non-empty string');
  const scopes = p.scopes ?? [];
  if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string' && /^\S+$/.test(s)))
    problems.push('"scopes" must be an array of scope names');
  const ttl = p.ttlSeconds ?? 300;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 10 || ttl > 86400)
    problems.push('"ttlSeconds" must be an integer from 10 to 86400');
  if (problems.length) return undefined;
  return {
    name,
    type: 'jwt',
    alg: alg as JwtSinkProfile['alg'],
    secret,
    ...(p.kid !== undefined ? { kid: p.kid as string } : {}),
    issuer: p.issuer as string,
    audience: p.audience as string,
    scopes: scopes as string[],
    ttlSeconds: ttl as number,
  };
}
