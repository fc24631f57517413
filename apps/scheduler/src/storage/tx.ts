import type { EntityManager } from 'typeorm';

/**
 * The unit of work a store call joins: the caller's transaction, or the data source's manager
 * outside one. Opaque to the domain, which only passes it along.
 */
export type Tx = EntityManager;
