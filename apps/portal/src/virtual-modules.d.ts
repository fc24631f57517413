declare module 'virtual:schema-checks' {
  interface CheckError {
    instancePath: string;
    keyword: string;
    params: Record<string, unknown>;
    message?: string;
  }
  /** The API's definitionSpecSchema, compiled at build time (vite.config.ts). */
  export const checkDefinitionSpec: ((value: unknown) => boolean) & { errors?: CheckError[] | null };
}
