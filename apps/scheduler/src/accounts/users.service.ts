import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { newUserSchema, type OperatorRole, type UserView, userUpdateSchema } from '#ferry/contracts';
import { ApiError } from '#ferry/errors';
import { compileSchema } from '#ferry/http';
import { Db, isUniqueViolation } from '#ferry/persistence';
import { iso } from '../admin/paging.js';
import type { Actor } from '../audit/actor.js';
import { AuditLog } from '../audit/audit-log.js';
import { CLOCK, type Clock } from '../core/tokens.js';
import { OperatorSessionEntity, OperatorUserEntity } from '../persistence/index.js';
import { hashPassword } from './passwords.js';

interface NewUser {
  username: string;
  role: OperatorRole;
  password: string;
}
interface UserUpdate {
  role?: OperatorRole;
  password?: string;
  disabled?: boolean;
}

const validateNew = compileSchema<NewUser>(newUserSchema);
const validateUpdate = compileSchema<UserUpdate>(userUpdateSchema);

/** Operator accounts (the users API and the first-admin command); passwords stored as argon2id hashes only. */
@Injectable()
export class UsersService {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(CLOCK) private readonly clock: Clock = Date.now,
  ) {}

  async list(): Promise<{ items: UserView[] }> {
    const rows = await this.db.run((em) => em.getRepository(OperatorUserEntity).find({ order: { username: 'ASC' } }));
    return { items: rows.map(view) };
  }

  async create(body: unknown, actor: Actor): Promise<UserView> {
    const input = validateNew(body);
    const passwordHash = await hashPassword(input.password);
    const now = this.clock();
    const row: OperatorUserEntity = {
      username: input.username,
      role: input.role,
      passwordHash,
      disabled: 0,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.db.tx(async (em) => {
        if (await em.getRepository(OperatorUserEntity).findOneBy({ username: row.username }))
          throw ApiError.conflict(`User ${row.username} already exists`);
        await em.insert(OperatorUserEntity, row as object);
        await this.audit.record(em, {
          actor,
          action: 'user.create',
          objectType: 'user',
          objectId: row.username,
          after: view(row),
        });
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw ApiError.conflict(`User ${row.username} already exists`);
      throw err;
    }
    return view(row);
  }

  /**
   * Changes a user's role, password or disabled flag. The last enabled admin can be neither demoted nor
   * disabled (no one could manage users after). A new password or disabling ends the user's sessions.
   */
  async update(username: string, body: unknown, actor: Actor): Promise<UserView> {
    const input = validateUpdate(body);
    const passwordHash = input.password === undefined ? undefined : await hashPassword(input.password);
    return this.db.tx(async (em) => {
      const before = await this.find(em, username);
      const after: OperatorUserEntity = {
        ...before,
        role: input.role ?? before.role,
        disabled: input.disabled === undefined ? before.disabled : input.disabled ? 1 : 0,
        passwordHash: passwordHash ?? before.passwordHash,
        updatedAt: this.clock(),
      };
      if (isActiveAdmin(before) && !isActiveAdmin(after)) await this.keepAnAdmin(em, username);
      await em.update(OperatorUserEntity, { username }, after as object);
      if (passwordHash !== undefined || after.disabled === 1) await em.delete(OperatorSessionEntity, { username });
      await this.audit.record(em, {
        actor,
        action: 'user.update',
        objectType: 'user',
        objectId: username,
        before: view(before),
        after: view(after),
        ...(passwordHash !== undefined ? { detail: { passwordChanged: true } } : {}),
      });
      return view(after);
    });
  }

  private async find(em: EntityManager, username: string): Promise<OperatorUserEntity> {
    const row = await this.db
      .lockForWrite(
        em.getRepository(OperatorUserEntity).createQueryBuilder('u').where('u.username = :username', { username }),
      )
      .getOne();
    if (!row) throw ApiError.notFound('User', username);
    return row;
  }

  /** 409 unless another enabled admin remains; their rows are locked so two admins cannot demote each other at once. */
  private async keepAnAdmin(em: EntityManager, leaving: string): Promise<void> {
    const admins = await this.db
      .lockForWrite(
        em
          .getRepository(OperatorUserEntity)
          .createQueryBuilder('u')
          .where('u.role = :role AND u.disabled = 0', { role: 'admin' }),
      )
      .getMany();
    if (!admins.some((a) => a.username !== leaving))
      throw ApiError.conflict('This is the last enabled admin: make another user admin first');
  }
}

const isActiveAdmin = (u: OperatorUserEntity) => u.role === 'admin' && u.disabled === 0;

function view(row: OperatorUserEntity): UserView {
  return {
    username: row.username,
    role: row.role as OperatorRole,
    disabled: row.disabled === 1,
    createdAt: iso(row.createdAt)!,
    updatedAt: iso(row.updatedAt)!,
  };
}
