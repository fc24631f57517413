import { type SigningProfile, TokenCache } from '#ferry/auth';
import type { SinkProfile } from './sink-profiles.js';

/**
 * The headers a sink profile adds to each request: its API key, or a JWT signed with its key and reused
 * until shortly before it expires (TokenCache), so a busy sink signs about once per token lifetime.
 */
export class SinkCredentials {
  private readonly signing?: SigningProfile;

  constructor(
    private readonly profile: SinkProfile,
    private readonly tokens: TokenCache,
  ) {
    if (profile.type === 'jwt')
      this.signing = {
        issuer: profile.issuer,
        audience: profile.audience,
        scopes: profile.scopes,
        ttlSeconds: profile.ttlSeconds,
        key:
          profile.alg === 'HS256'
            ? { alg: 'HS256', secret: profile.secret, kid: profile.kid }
            : { alg: profile.alg, privateKey: profile.secret, kid: profile.kid ?? profile.name },
      };
  }

  headers(): Record<string, string> {
    const p = this.profile;
    if (p.type === 'apiKey') return { [p.header]: p.key };
    return { authorization: `Bearer ${this.tokens.get(`sink:${p.name}`, this.signing!)}` };
  }
}
