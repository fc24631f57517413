import { parseArgs } from 'node:util';
import { signToken } from '#ferry/auth';
import { EnvReader, readDevelopment, readInboundAuth } from '#ferry/config';
import { Audience } from '#ferry/contracts';

// A token for one of an app's configured clients, signed with that client's HS256 secret, for calling the
// API by hand (`npm run token`, and the demo's `--keep` curl line). Development mode only: outside it the
// secrets belong to the callers, and nobody else should be minting their tokens.
const USAGE = `usage: npm run token -- --client <clientId> --scope <scope> [--scope …] [--app scheduler|consumer|provider]
                              [--ttl <seconds>]    (needs FERRY_DEV_MODE=true)`;

const apps = { scheduler: Audience.scheduler, consumer: Audience.consumer, provider: Audience.provider } as const;

/** The token, or an error saying what to change. Reads the same settings the app does. */
export function mintDevToken(argv: string[], envMap: Record<string, string | undefined>): string {
  const { values } = parseArgs({
    args: argv,
    options: {
      client: { type: 'string' },
      scope: { type: 'string', multiple: true },
      app: { type: 'string', default: 'scheduler' },
      ttl: { type: 'string', default: '3600' },
    },
  });
  const env = new EnvReader(envMap);
  const dev = readDevelopment(env);
  if (!dev.on) throw new Error('tokens are minted only in development mode (FERRY_DEV_MODE=true)');
  const app = values.app as keyof typeof apps;
  if (!(app in apps)) throw new Error(`--app must be one of ${Object.keys(apps).join(', ')}\n${USAGE}`);
  const scopes = (values.scope ?? []).flatMap((s) => s.split(/[ ,]+/)).filter(Boolean);
  if (!values.client || !scopes.length) throw new Error(USAGE);
  const auth = readInboundAuth(env, dev, `FERRY_${app.toUpperCase()}`, apps[app]);
  env.done(app);
  const client = auth.clients.find((c) => c.clientId === values.client);
  if (!client) {
    throw new Error(
      `the ${app} has no client "${values.client}" (it has ${auth.clients.map((c) => c.clientId).join(', ')})`,
    );
  }
  const refused = scopes.filter((s) => !client.scopes.includes(s));
  if (refused.length) {
    throw new Error(`${client.clientId} may not have ${refused.join(', ')} (it may have ${client.scopes.join(', ')})`);
  }
  const key = client.keys.find((k) => k.alg === 'HS256');
  if (!key || !('secret' in key)) {
    throw new Error(`${client.clientId} has only public keys here: its tokens are signed with its own private key`);
  }
  const ttlSeconds = Number(values.ttl);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > auth.maxTokenLifetimeSeconds) {
    throw new Error(
      `--ttl must be whole seconds from 1 to ${auth.maxTokenLifetimeSeconds} (FERRY_MAX_TOKEN_LIFETIME_SECONDS)`,
    );
  }
  return signToken({ issuer: client.clientId, audience: auth.audience, scopes, ttlSeconds, key });
}
