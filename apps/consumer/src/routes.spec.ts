import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { declaredRoutes } from '#ferry/http';
import type { ConsumerConfig } from './config.js';
import { ConsumerModule } from './consumer.module.js';

describe('consumer routes', () => {
  it('each declare @Scopes or @Public, and only the health probes are public', () => {
    // forRoot only hands the configuration to the container: no route depends on its values.
    const routes = declaredRoutes(ConsumerModule.forRoot({} as ConsumerConfig));
    expect(routes.length).toBeGreaterThan(3);
    expect(routes.filter((r) => r.access === undefined).map((r) => r.route)).toEqual([]);
    expect(routes.filter((r) => r.access && 'publicReason' in r.access).map((r) => r.route)).toEqual([
      'HealthController.live',
      'HealthController.ready',
    ]);
  });
});
