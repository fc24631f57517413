import 'reflect-metadata';
import { providerConfigFromEnv } from './config.js';
import { startProvider } from './start.js';

await startProvider(providerConfigFromEnv(process.env));
