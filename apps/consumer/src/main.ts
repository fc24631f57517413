import 'reflect-metadata';
import { consumerConfigFromEnv } from './config.js';
import { startConsumer } from './start.js';

await startConsumer(consumerConfigFromEnv(process.env));
