import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BoardAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal, SessionAuthenticator } from '#ferry/auth';
import { Scope } from '#ferry/contracts';
import { ApiError } from '#ferry/errors';
import { type HttpApp, toApiError } from '#ferry/http';
import type { AuditLog } from '../audit/audit-log.js';

/** Where Bull Board answers (docs/contract-additions.md): outside /api/v1, for the portal's operators. */
export const QUEUE_BOARD_PATH = '/portal/queues';

/**
 * Mounts Bull Board for the scheduler's queues at /portal/queues, reachable with an operator's or an
 * admin's session only (401 without one, 403 for a viewer). The check is an onRequest hook of the board's
 * own plugin scope, so no other route pays for it. Bull Board's own actions (retry, clean, remove jobs)
 * cannot send the CSRF header: they must come from this origin instead (SameSite=Strict keeps the cookie
 * off other sites' requests anyway), and each is recorded in the audit log.
 */
export async function mountQueueBoard(
  app: HttpApp,
  queues: Queue[],
  sessions: SessionAuthenticator,
  audit: AuditLog,
): Promise<void> {
  const board = new BoardAdapter();
  // @bull-board/fastify 9.10.1 brings its own @bull-board/api 9.10.1 beside our 9.10.2: the same shape, two declarations.
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter: board as never });
  board.setBasePath(QUEUE_BOARD_PATH);
  await app.register(
    (async (scope: FastifyInstance) => {
      scope.addHook('onRequest', (req, reply) => admit(req, reply, sessions, audit));
      await scope.register(board.registerPlugin());
    }) as never,
    { prefix: QUEUE_BOARD_PATH },
  );
}

async function admit(req: FastifyRequest, reply: FastifyReply, sessions: SessionAuthenticator, audit: AuditLog) {
  let principal: Principal;
  try {
    const changes = !['GET', 'HEAD'].includes(req.method);
    if (changes && !sameOrigin(req)) throw ApiError.forbidden('A change to the queues must come from the portal');
    // Authenticated as a read: the board's own requests carry no x-csrf-token (see above).
    principal = await sessions.authenticate({ headers: req.headers, method: 'GET', ip: req.ip });
    if (!principal.scopes.includes(Scope.adminOperate))
      throw ApiError.forbidden('The queues are for operators and admins');
    if (changes)
      await audit.recordNow({
        actor: { clientId: principal.clientId, subject: principal.subject, user: principal.user, ip: req.ip },
        action: 'queues.change',
        objectType: 'queue',
        objectId: req.url.slice(QUEUE_BOARD_PATH.length, QUEUE_BOARD_PATH.length + 200),
        detail: { method: req.method },
      });
  } catch (caught) {
    const err = toApiError(caught);
    return reply.status(err.status).header('content-type', 'application/json; charset=utf-8').send(err.toBody());
  }
}

/** The request's Origin (sent by browsers with every change) is this server's own. */
function sameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (typeof origin !== 'string') return false;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
