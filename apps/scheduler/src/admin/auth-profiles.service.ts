import { Inject, Injectable } from '@nestjs/common';
import { type AuthProfileSpec, authProfileSchema } from '#ferry/contracts';
import { ApiError } from '#ferry/errors';
import { compileSchema } from '#ferry/http';
import { Db } from '#ferry/persistence';
import type { Actor } from '../audit/actor.js';
import { AuditLog } from '../audit/audit-log.js';
import { CLOCK, type Clock } from '../core/tokens.js';
import { AuthProfileEntity } from '../persistence/index.js';
import { SecretBox } from '../secrets/secret-box.js';
import { profileSecretContext } from '../secrets/stored-secrets.js';
import { iso } from './paging.js';

const validate = compileSchema<AuthProfileSpec>(authProfileSchema);

/** Signing profiles for downstream targets; the secret is write-only, stored encrypted, and never answered. */
@Injectable()
export class AuthProfilesService {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(SecretBox) private readonly box: SecretBox,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(CLOCK) private readonly clock: Clock = Date.now,
  ) {}

  /**
   * Creates a profile, or replaces one (`name`: the URL's). A replacement that names the `version` it
   * read is refused (409) if the profile has moved on since, like a definition's; without one it
   * replaces whatever is there, as before. Either way the write is conditional on the version it saw.
   */
  async upsert(body: unknown, actor: Actor, name?: string) {
    const { secret, version: expected, ...spec } = validate(body);
    if (name !== undefined && spec.name !== name)
      throw ApiError.validation([{ path: 'name', problem: `must match the URL (${name})` }]);
    const now = this.clock();
    return this.db.tx(async (em) => {
      const repo = em.getRepository(AuthProfileEntity);
      const existing = await repo.findOneBy({ name: spec.name });
      if (name === undefined && existing) throw ApiError.conflict(`Auth profile ${spec.name} already exists`);
      if (name !== undefined && !existing) throw ApiError.notFound('Auth profile', name);
      if (existing && expected !== undefined && existing.version !== expected)
        throw ApiError.conflict(`Auth profile ${spec.name} is at version ${existing.version}, not ${expected}`);
      const row = {
        name: spec.name,
        spec: { ...spec, ttlSeconds: spec.ttlSeconds ?? 300 },
        secret: this.box.seal(secret!, profileSecretContext(spec.name)),
        version: (existing?.version ?? 0) + 1,
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
      };
      if (!existing) await repo.insert(row);
      else {
        const res = await em
          .createQueryBuilder()
          .update(AuthProfileEntity)
          .set({ spec: row.spec as object, secret: row.secret, version: row.version, updatedAt: now })
          .where({ name: existing.name, version: existing.version })
          .execute();
        if (!res.affected) throw ApiError.conflict(`Auth profile ${spec.name} changed meanwhile; read it again`);
      }
      // The views carry no secret (`hasSecret` only); a new secret shows as `secretChanged`.
      await this.audit.record(em, {
        actor,
        action: existing ? 'auth-profile.update' : 'auth-profile.create',
        objectType: 'auth-profile',
        objectId: spec.name,
        before: existing ? view(existing) : null,
        after: view(row as AuthProfileEntity),
        detail: { secretChanged: true },
      });
      return view(row as AuthProfileEntity);
    });
  }

  async list() {
    return {
      items: (await this.db.run((em) => em.getRepository(AuthProfileEntity).find({ order: { name: 'ASC' } }))).map(
        view,
      ),
      nextCursor: null,
    };
  }

  async get(name: string) {
    const row = await this.db.run((em) => em.getRepository(AuthProfileEntity).findOneBy({ name }));
    if (!row) throw ApiError.notFound('Auth profile', name);
    return view(row);
  }
}

function view(row: AuthProfileEntity) {
  return {
    ...(row.spec as object),
    version: row.version,
    hasSecret: true,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}
