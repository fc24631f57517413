import type { DynamicModule, Type } from '@nestjs/common';
import { METHOD_METADATA, MODULE_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { declaredAccess, type RouteAccess } from '#ferry/auth';

export interface DeclaredRoute {
  /** `Controller.method`, for a readable failure. */
  route: string;
  access: RouteAccess | undefined;
}

type ModuleRef = Type<unknown> | DynamicModule | Promise<DynamicModule> | { forwardRef: () => unknown };

/**
 * Every HTTP route of an app's module tree with what it declares (@Scopes, @Public or nothing), read
 * from the modules' metadata without building them: a test fails on a route that declares nothing
 * before a caller meets the guard's refusal.
 */
export function declaredRoutes(root: Type<unknown> | DynamicModule): DeclaredRoute[] {
  const controllers = new Set<Type<unknown>>();
  const seen = new Set<unknown>();
  const visit = (ref: ModuleRef | undefined): void => {
    if (!ref || ref instanceof Promise || seen.has(ref)) return;
    seen.add(ref);
    if ('forwardRef' in ref) return visit(ref.forwardRef() as ModuleRef);
    const cls = 'module' in ref ? ref.module : ref;
    const dynamic = 'module' in ref ? ref : undefined;
    for (const c of [...meta(cls, MODULE_METADATA.CONTROLLERS), ...(dynamic?.controllers ?? [])]) controllers.add(c);
    for (const m of [...meta(cls, MODULE_METADATA.IMPORTS), ...(dynamic?.imports ?? [])]) visit(m as ModuleRef);
  };
  visit(root);
  return [...controllers].flatMap((controller) =>
    Object.getOwnPropertyNames(controller.prototype)
      .map((name) => ({ name, handler: controller.prototype[name] as object }))
      .filter(({ name, handler }) => name !== 'constructor' && isRoute(handler))
      .map(({ name, handler }) => ({
        route: `${controller.name}.${name}`,
        access: declaredAccess(handler, controller),
      })),
  );
}

function meta(target: object, key: string): never[] {
  return (Reflect.getMetadata(key, target) as never[] | undefined) ?? [];
}

function isRoute(handler: unknown): boolean {
  return (
    typeof handler === 'function' &&
    Reflect.getMetadata(PATH_METADATA, handler) !== undefined &&
    Reflect.getMetadata(METHOD_METADATA, handler) !== undefined
  );
}
