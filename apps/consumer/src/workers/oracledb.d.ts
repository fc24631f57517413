// oracledb ships no types; the part the worker's own connection uses (oracledb Thin mode).
declare module 'oracledb' {
  interface Result {
    rows?: Array<Record<string, unknown>>;
    rowsAffected?: number;
  }
  interface Connection {
    execute(sql: string, binds: unknown[], options: { outFormat: number; autoCommit: boolean }): Promise<Result>;
    commit(): Promise<void>;
    rollback(): Promise<void>;
    close(): Promise<void>;
  }
  interface OracleDb {
    OUT_FORMAT_OBJECT: number;
    DB_TYPE_CLOB: unknown;
    fetchAsString: unknown[];
    getConnection(options: { user: string; password: string; connectString: string }): Promise<Connection>;
  }
  const oracledb: OracleDb;
  export default oracledb;
}
