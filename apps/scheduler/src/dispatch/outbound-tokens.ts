import { Inject, Injectable } from '@nestjs/common';
import { type SigningKey, type SigningProfile, TokenCache } from '#ferry/auth';
import type { AuthProfileSpec } from '#ferry/contracts';
import { Db } from '#ferry/persistence';
import { SCHEDULER_CONFIG } from '../core/tokens.js';
import { AuthProfileEntity } from '../persistence/index.js';
import type { SchedulerConfig } from '../scheduler.config.js';
import { SecretBox, SecretBoxError } from '../secrets/secret-box.js';
import { profileSecretContext } from '../secrets/stored-secrets.js';
import { profileAllows, profileRefusal } from './profile-origins.js';

/** A target's auth profile that cannot sign: it is gone, or its stored secret does not open (never used then). */
export class AuthProfileUnusable extends Error {
  readonly code = 'AUTH_PROFILE_UNUSABLE';
}

/** A stored auth profile is read again after this long (an operator's edit takes effect within it). */
const PROFILE_TTL_MS = 10_000;

/** Instead of a token: the target is outside its auth profile's origins, and nothing is sent to it. */
export class ProfileOriginRefused extends Error {
  readonly code = 'AUTH_PROFILE_ORIGIN';
}

interface StoredProfile {
  profile: SigningProfile;
  origins: string[] | undefined;
  /** Whether the profile may go to a target URL, as decided while this copy of the profile lives. */
  targets: Map<string, boolean>;
  at: number;
}

/**
 * Tokens for calls to downstreams, signed per target's auth profile and reused until near expiry,
 * so a burst of dispatches signs once rather than per request. A profile's token goes only to its origins.
 */
@Injectable()
export class OutboundTokens {
  private readonly cache = new TokenCache(60);
  private readonly profiles = new Map<string, StoredProfile>();
  private readonly fallback: SigningProfile;
  private readonly development: boolean;

  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(SecretBox) private readonly box: SecretBox,
    @Inject(SCHEDULER_CONFIG) config: Pick<SchedulerConfig, 'defaultOutboundProfile' | 'development'>,
  ) {
    this.fallback = config.defaultOutboundProfile;
    this.development = config.development;
  }

  /** Throws ProfileOriginRefused when the profile may not be sent to `targetUrl`. */
  async tokenFor(profileName: string | undefined, targetUrl: string): Promise<string> {
    if (!profileName) return this.cache.get('(default)', this.fallback);
    const stored = await this.profile(profileName);
    let allowed = stored.targets.get(targetUrl);
    if (allowed === undefined) {
      allowed = profileAllows(stored.origins, targetUrl, this.development);
      stored.targets.set(targetUrl, allowed);
    }
    if (!allowed) throw new ProfileOriginRefused(profileRefusal(profileName, stored.origins, targetUrl));
    return this.cache.get(profileName, stored.profile);
  }

  private async profile(name: string): Promise<StoredProfile> {
    const hit = this.profiles.get(name);
    if (hit && Date.now() - hit.at < PROFILE_TTL_MS) return hit;
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
    const stored = { profile, origins: spec.origins, targets: new Map<string, boolean>(), at: Date.now() };
    this.profiles.set(name, stored);
    return stored;
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
