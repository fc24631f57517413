import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { fastifyCookie } from '@fastify/cookie';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  changesState,
  type Principal,
  SESSION_COOKIE,
  type SessionAuthenticator,
  type SessionRequest,
} from '#ferry/auth';
import { loginSchema, type LoginRequest, type OperatorRole, type SessionView } from '#ferry/contracts';
import { ApiError } from '#ferry/errors';
import { compileSchema } from '#ferry/http';
import { Db } from '#ferry/persistence';
import { AuditLog } from '../audit/audit-log.js';
import { CLOCK, type Clock, SCHEDULER_CONFIG } from '../core/tokens.js';
import { OperatorSessionEntity, OperatorUserEntity } from '../persistence/index.js';
import type { PortalConfig, SchedulerConfig } from '../scheduler.config.js';
import { LoginThrottle } from './login-throttle.js';
import { passwordMatches } from './passwords.js';
import { PORTAL_CLIENT, sessionPrincipal } from './roles.js';

const validateLogin = compileSchema<LoginRequest>(loginSchema);
/** One text for every refused login, so the answer does not tell whether the username exists. */
const WRONG_LOGIN = 'Wrong username or password';
/** One text for every refused session. */
const NO_SESSION = 'No session, or it has ended: sign in again';
/** Idle time is written back at most this often (a tenth of the idle time, at most a minute), not on every request. */
const touchEvery = (idleMs: number) => Math.min(60_000, idleMs / 10);

/** A session as found by its cookie: the row and its user. */
interface LiveSession {
  row: OperatorSessionEntity;
  user: OperatorUserEntity;
}

/**
 * The portal's sessions (docs/security.md, "Operators' portal"): kept server-side in
 * `operator_session` under the SHA-256 of the cookie's random value, ended by logout, by an idle time
 * and by an absolute lifetime, and by disabling the user or changing their password. The guard asks
 * `authenticate` for requests that carry the cookie and no bearer token.
 */
@Injectable()
export class SessionsService implements SessionAuthenticator {
  private readonly logger = new Logger('PortalLogin');
  private readonly portal: PortalConfig;

  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(LoginThrottle) private readonly throttle: LoginThrottle,
    @Inject(SCHEDULER_CONFIG) config: Pick<SchedulerConfig, 'portal'>,
    @Inject(CLOCK) private readonly clock: Clock = Date.now,
  ) {
    this.portal = config.portal;
  }

  /** Checks the password and opens a session: its view and the Set-Cookie header's value. */
  async login(body: unknown, ip: string): Promise<{ view: SessionView; cookie: string }> {
    const { username, password } = validateLogin(body);
    await this.throttle.check(username, ip);
    const user = await this.db.run((em) => em.getRepository(OperatorUserEntity).findOneBy({ username }));
    const usable = user && user.disabled === 0 ? user : undefined;
    if (!(await passwordMatches(usable?.passwordHash, password))) {
      await this.throttle.failed(username, ip);
      const reason = !user ? 'unknown username' : usable ? 'wrong password' : 'disabled user';
      this.logger.warn(`login refused for username ${JSON.stringify(username)} from ${ip}: ${reason}`);
      await this.audit.recordNow({
        actor: { clientId: PORTAL_CLIENT, subject: `user:${username}`, ip },
        action: 'session.login-failed',
        objectType: 'user',
        objectId: username,
        detail: { reason },
      });
      throw ApiError.unauthenticated(WRONG_LOGIN);
    }
    await this.throttle.succeeded(username);
    const secret = randomBytes(32).toString('base64url');
    const now = this.clock();
    const row: OperatorSessionEntity = {
      id: digest(secret),
      username: usable!.username,
      csrfToken: randomBytes(32).toString('base64url'),
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + this.portal.sessionMaxMs,
    };
    await this.db.tx(async (em) => {
      await em.insert(OperatorSessionEntity, row as object);
      await this.audit.record(em, {
        actor: { ...actorFor(usable!), ip },
        action: 'session.login',
        objectType: 'user',
        objectId: usable!.username,
      });
    });
    this.logger.log(`${usable!.username} signed in from ${ip}`);
    return { view: viewOf(usable!, row), cookie: this.cookie(secret) };
  }

  /** The cookie's session as `GET /session` answers it. */
  async describe(request: SessionRequest): Promise<SessionView> {
    const live = await this.find(request);
    return viewOf(live.user, live.row);
  }

  /** Ends the cookie's session; the answer's Set-Cookie value clears the cookie. */
  async logout(request: SessionRequest): Promise<string> {
    const secret = cookieOf(request);
    if (secret !== undefined) await this.db.run((em) => em.delete(OperatorSessionEntity, { id: digest(secret) }));
    return fastifyCookie.serialize(SESSION_COOKIE, '', { ...this.attributes(), maxAge: 0, expires: new Date(0) });
  }

  async authenticate(request: SessionRequest): Promise<Principal> {
    const { row, user } = await this.find(request);
    if (changesState(request.method) && !sameToken(request.headers['x-csrf-token'], row.csrfToken))
      throw ApiError.forbidden('A change made with the session cookie needs its x-csrf-token header');
    const now = this.clock();
    if (now - row.lastSeenAt >= touchEvery(this.portal.sessionIdleMs))
      await this.db.run((em) => em.update(OperatorSessionEntity, { id: row.id }, { lastSeenAt: now }));
    return sessionPrincipal(user.username, user.role as OperatorRole);
  }

  private async find(request: SessionRequest): Promise<LiveSession> {
    const secret = cookieOf(request);
    if (secret === undefined) throw ApiError.unauthenticated(NO_SESSION);
    const id = digest(secret);
    const now = this.clock();
    const live = await this.db.run(async (em) => {
      const row = await em.getRepository(OperatorSessionEntity).findOneBy({ id });
      if (!row) return undefined;
      if (now >= row.expiresAt || now - row.lastSeenAt >= this.portal.sessionIdleMs) {
        await em.delete(OperatorSessionEntity, { id });
        return undefined;
      }
      const user = await em.getRepository(OperatorUserEntity).findOneBy({ username: row.username });
      return user && user.disabled === 0 ? { row, user } : undefined;
    });
    if (!live) throw ApiError.unauthenticated(NO_SESSION);
    return live;
  }

  private cookie(secret: string): string {
    return fastifyCookie.serialize(SESSION_COOKIE, secret, this.attributes());
  }

  private attributes() {
    return { httpOnly: true, sameSite: 'strict', path: '/', secure: this.portal.secureCookie } as const;
  }
}

// fastifyCookie's parse and serialize work once the plugin is registered (start.ts), as it is before listening.
const digest = (secret: string) => createHash('sha256').update(secret).digest('hex');

function cookieOf(request: SessionRequest): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== 'string' || header === '') return undefined;
  const value = fastifyCookie.parse(header)[SESSION_COOKIE];
  return value === undefined || value === '' ? undefined : value;
}

function sameToken(given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

const actorFor = (user: OperatorUserEntity) => ({
  clientId: PORTAL_CLIENT,
  subject: `user:${user.username}`,
  user: { username: user.username, role: user.role },
});

function viewOf(user: OperatorUserEntity, row: OperatorSessionEntity): SessionView {
  const principal = sessionPrincipal(user.username, user.role as OperatorRole);
  return { user: principal.user as SessionView['user'], scopes: principal.scopes, csrfToken: row.csrfToken };
}
