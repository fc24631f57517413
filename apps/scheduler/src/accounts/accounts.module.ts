import { Module } from '@nestjs/common';
import { SESSION_AUTHENTICATOR } from '#ferry/auth';
import { LoginThrottle } from './login-throttle.js';
import { SessionController } from './session.controller.js';
import { SessionSweeper } from './session-sweeper.js';
import { SessionsService } from './sessions.service.js';
import { UsersController } from './users.controller.js';
import { UsersService } from './users.service.js';

/** Operator accounts and their login sessions (the portal); the guard reads sessions through SESSION_AUTHENTICATOR. */
@Module({
  controllers: [SessionController, UsersController],
  providers: [
    LoginThrottle,
    SessionsService,
    SessionSweeper,
    UsersService,
    { provide: SESSION_AUTHENTICATOR, useExisting: SessionsService },
  ],
  exports: [SESSION_AUTHENTICATOR, SessionsService, UsersService],
})
export class AccountsModule {}
