import { Body, Controller, Delete, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiCookieAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type AuthenticatedRequest, Public, Scopes } from '#ferry/auth';
import { loginSchema, sessionSchema } from '#ferry/contracts';
import { ApiError } from '#ferry/errors';
import { ApiDoc } from '#ferry/http';
import { SessionsService } from './sessions.service.js';

const session = { schema: sessionSchema, description: 'The signed-in user, their scopes and the CSRF token' };

/** The portal's login session (docs/contract-additions.md, "Session"): a cookie instead of a bearer token. */
@ApiTags('portal: session')
@ApiCookieAuth('ferry_session')
@Controller('session')
export class SessionController {
  constructor(@Inject(SessionsService) private readonly sessions: SessionsService) {}

  @Post()
  @HttpCode(200)
  @ApiDoc({
    summary: 'Signs in: sets the `ferry_session` cookie (HttpOnly, SameSite=Strict; Secure outside development)',
    body: loginSchema,
    answers: { 200: session },
    errors: {
      401: 'wrong username or password (one text for both)',
      429: 'too many wrong passwords for this username or from this address; see Retry-After',
    },
  })
  @Public('signing in is how an operator gets the session the other routes need')
  async login(@Body() body: unknown, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const { view, cookie } = await this.sessions.login(body, req.ip);
    void reply.header('set-cookie', cookie).header('cache-control', 'no-store');
    return view;
  }

  @Get()
  @ApiDoc({
    summary: "The cookie's session",
    answers: { 200: session },
    errors: { 401: 'no session, or it has ended' },
  })
  @Scopes()
  describe(@Req() req: FastifyRequest & AuthenticatedRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    if (!req.principal?.user) throw ApiError.unauthenticated('No session, or it has ended: sign in again');
    void reply.header('cache-control', 'no-store');
    return this.sessions.describe(req);
  }

  @Delete()
  @HttpCode(204)
  @ApiDoc({
    summary: 'Signs out: ends the session and clears the cookie (needs the `x-csrf-token` header)',
    answers: { 204: { description: 'Signed out (the answer clears the cookie)' } },
    errors: { 401: 'no session, or it has ended', 403: 'no or a wrong `x-csrf-token` header' },
  })
  @Scopes()
  async logout(@Req() req: FastifyRequest & AuthenticatedRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    if (!req.principal?.user) throw ApiError.unauthenticated('No session, or it has ended: sign in again');
    void reply.header('set-cookie', await this.sessions.logout(req));
  }
}
