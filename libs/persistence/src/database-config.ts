export type DatabaseType = 'sqlite' | 'postgres' | 'oracle';

export interface DatabaseConfig {
  type: DatabaseType;
  /** sqlite: a file path (or ':memory:'); postgres/oracle: a connection URL. */
  url: string;
  poolSize: number;
  /** Log every SQL statement (development only). */
  logging: boolean;
}
