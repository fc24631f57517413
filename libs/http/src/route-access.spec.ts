import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { Controller, Get, Module, Post, forwardRef } from '@nestjs/common';
import { Public, Scopes } from '#ferry/auth';
import { declaredRoutes } from './route-access.js';

@Controller('a')
class ScopedController {
  @Get()
  @Scopes('admin:read')
  list(): void {}
  @Post()
  forgotten(): void {}
  helper(): void {}
}

@Public('probes')
@Controller('b')
class PublicController {
  @Get()
  probe(): void {}
  @Get('x')
  @Scopes('admin:read')
  guarded(): void {}
}

@Module({ controllers: [PublicController] })
class Leaf {}

@Module({ imports: [forwardRef(() => Leaf)] })
class Middle {}

describe('declaredRoutes', () => {
  it('finds every route of a module tree (dynamic, static and forward-referenced imports) with its declaration', () => {
    const routes = declaredRoutes({ module: class Root {}, imports: [Middle], controllers: [ScopedController] });
    expect(routes).toEqual([
      { route: 'ScopedController.list', access: { scopes: ['admin:read'] } },
      { route: 'ScopedController.forgotten', access: undefined },
      { route: 'PublicController.probe', access: { publicReason: 'probes' } },
      { route: 'PublicController.guarded', access: { scopes: ['admin:read'] } },
    ]);
  });
});
