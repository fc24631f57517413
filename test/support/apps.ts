import type { DatabaseConfig } from '#ferry/persistence';
import { type ProviderConfig, providerConfigFromEnv } from '../../apps/provider/src/config.js';

/** The env a test passes to an app: port 0, quiet, its own database. */
export function dbEnv(prefix: 'FERRY_PROVIDER' | 'FERRY_CONSUMER', db: DatabaseConfig): Record<string, string> {
  return {
    [`${prefix}_PORT`]: '0',
    [`${prefix}_HOST`]: '127.0.0.1',
    [`${prefix}_DB_TYPE`]: db.type,
    [`${prefix}_DB_URL`]: db.url,
    [`${prefix}_LOG`]: 'false',
  };
}

export function testProviderConfig(db: DatabaseConfig, schedulerUrl: string, extra: Record<string, string> = {}): ProviderConfig {
  return providerConfigFromEnv({ ...dbEnv('FERRY_PROVIDER', db), FERRY_PROVIDER_SCHEDULER_URL: schedulerUrl, FERRY_PROVIDER_OUTBOX_POLL_MS: '50', ...extra });
}
