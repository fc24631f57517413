import { Body, Controller, Get, Inject, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiTags } from '@nestjs/swagger';
import { Scopes } from '#ferry/auth';
import { newUserSchema, Scope, userListSchema, userSchema, userUpdateSchema } from '#ferry/contracts';
import { ApiDoc } from '#ferry/http';
import { type Actor, CurrentActor } from '../audit/actor.js';
import { UsersService } from './users.service.js';

const user = { schema: userSchema, description: 'The user (never their password)' };
const byName = { username: "The user's username" };

@ApiTags('portal: users')
@ApiBearerAuth()
@ApiCookieAuth('ferry_session')
@Controller('users')
export class UsersController {
  constructor(@Inject(UsersService) private readonly users: UsersService) {}

  @Get()
  @ApiDoc({
    summary: 'Operator accounts, by username',
    answers: { 200: { schema: userListSchema, description: 'All' } },
  })
  @Scopes(Scope.adminWrite)
  list() {
    return this.users.list();
  }

  @Post()
  @ApiDoc({
    summary: 'Creates an operator account',
    body: newUserSchema,
    answers: { 201: user },
    errors: { 409: 'a user with this username exists' },
  })
  @Scopes(Scope.adminWrite)
  create(@Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.users.create(body, actor);
  }

  @Put(':username')
  @ApiDoc({
    summary: "Changes a user's role, password or disabled flag (a new password or disabling ends their sessions)",
    body: userUpdateSchema,
    answers: { 200: user },
    params: byName,
    errors: { 404: 'no such user', 409: 'the change would leave no enabled admin' },
  })
  @Scopes(Scope.adminWrite)
  update(@Param('username') username: string, @Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.users.update(username, body, actor);
  }
}
