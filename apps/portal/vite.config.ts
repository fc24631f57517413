import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import standaloneModule from 'ajv/dist/standalone/index.js';
import { defineConfig, type Plugin } from 'vite';
import { definitionSpecSchema } from '#ferry/contracts';

// The operators' portal, served by the scheduler at /portal from dist/portal (see start.ts).
// JSX by Vite's own Oxc transform: @vitejs/plugin-react's peer range does not resolve with this tree.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/portal/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  plugins: [schemaChecks()],
  build: {
    outDir: fileURLToPath(new URL('../../dist/portal', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1024,
  },
});

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const standaloneCode = standaloneModule as unknown as typeof standaloneModule.default;
const CHECKS = 'virtual:schema-checks';

/**
 * `virtual:schema-checks`: the API's own JSON Schemas (libs/contracts), compiled by Ajv with the API's
 * options at build time into plain functions. Compiling in the browser would need `eval`, which the
 * portal's content security policy refuses.
 */
function schemaChecks(): Plugin {
  return {
    name: 'ferry-schema-checks',
    resolveId: (id) => (id === CHECKS ? `\0${CHECKS}` : undefined),
    load(id) {
      if (id !== `\0${CHECKS}`) return undefined;
      const ajv = addFormats(
        new Ajv({ allErrors: true, strict: false, useDefaults: false, code: { source: true, esm: true } }),
      );
      ajv.addSchema(definitionSpecSchema, 'checkDefinitionSpec');
      const code = standaloneCode(ajv, { checkDefinitionSpec: 'checkDefinitionSpec' });
      // The generated code require()s Ajv's runtime helpers: imports, for the browser bundle.
      const imports: string[] = [];
      const body = code.replace(/require\("([^"]+)"\)/g, (_m: string, spec: string) => {
        imports.push(`import * as __dep${imports.length} from ${JSON.stringify(spec)};`);
        return `__dep${imports.length - 1}`;
      });
      return `${imports.join('\n')}\n${body}`;
    },
  };
}
