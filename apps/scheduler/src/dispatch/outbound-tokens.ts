import { Inject, Injectable } from '@nestjs/common';
import { type SigningKey, type SigningProfile, TokenCache } from '#ferry/auth';
import type { AuthProfileSpec } from '#ferry/contracts';
import { Db } from '#ferry/persistence';
import { SCHEDULER_CONFIG } from '../core/tokens.js';
import { AuthProfileEntity } from '../persistence/index.js';
import type { SchedulerConfig } from '../scheduler.config.js';
import { SecretBox, SecretBoxError } from '../secrets/secret-box.js';
import { profileSecretContext } from '../secrets/stored-secrets.js';

/** A target's auth profile that cannot sign: it is gone, or its stored secret does not open (never used then). */
export class AuthProfileUnusable extends Error {
  readonly code = 'AUTH_PROFILE_UNUSABLE';
}

/** A stored auth profile is read again after this long (an operator's edit takes effect within it). */
const PROFILE_TTL_MS = 10_000;

/**
 * Tokens for calls to downstreams, signed per target's auth profile and reused until near expiry,
 * so a burst of dispatches signs once rather than per request.
 */
@Injectable()
export class OutboundTokens {
  private readonly cache = new TokenCache(60);
  private readonly profiles = new Map<string, { profile: SigningProfile; at: number }>();
  private readonly fallback: SigningProfile;

  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(SecretBox) private readonly box: SecretBox,
    @Inject(SCHEDULER_CONFIG) config: Pick<SchedulerConfig, 'defaultOutboundProfile'>,
  ) {
    this.fallback = config.defaultOutboundProfile;
  }

  async tokenFor(profileName: string | undefined): Promise<string> {
    const profile = profileName ? await this.profile(profileName) : this.fallback;
    return this.cache.get(profileName ?? '(default)', profile);
  }

  private async profile(name: string): Promise<SigningProfile> {
    const hit = this.profiles.get(name);
    if (hit && Date.now() - hit.at < PROFILE_TTL_MS) return hit.profile;
    const row = await this.db.run((em) => em.getRepository(AuthProfileEntity).findOneBy({ name }));
    if (!row) throw new AuthProfileUnusable(`auth profile "${name}" does not exist`);
    const spec = row.spec as AuthProfileSpec;
    const secret = this.open(name, row.secret);
    const key: SigningKey =
      spec.alg === 'HS256'
        ? { alg: 'HS256', secret, kid: spec.kid }
        : { alg: spec.alg, privateKey: secret, kid: spec.kid ?? name };
    const profile: SigningProfile = {
      issuer: spec.issuer,
      audience: spec.audience,
      scopes: spec.scopes,
      ttlSeconds: spec.ttlSeconds ?? 300,
      key,
    };
    this.profiles.set(name, { profile, at: Date.now() });
    return profile;
  }

  private open(name: string, stored: string): string {
    try {
      return this.box.open(stored, profileSecretContext(name));
    } catch (err) {
      if (!(err instanceof SecretBoxError)) throw err;
      throw new AuthProfileUnusable(`auth profile "${name}" cannot sign: ${err.message}`);
    }
  }
}
