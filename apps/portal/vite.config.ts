import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The operators' portal, served by the scheduler at /portal from dist/portal (see start.ts).
// JSX by Vite's own Oxc transform: @vitejs/plugin-react's peer range does not resolve with this tree.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/portal/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: fileURLToPath(new URL('../../dist/portal', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1024,
  },
});
