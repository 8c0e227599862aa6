/**
 * The dashboard's build: Preact through Vite's own JSX transform (no Babel), one hashed
 * bundle for the first screen and a separate chunk for the charts, into dist/web where
 * the gateway serves it. `npx vite web` runs it against a gateway on :8080 for development.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: here('../dist/web'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    proxy: Object.fromEntries(['/v1', '/docs', '/openapi.json'].map((p) => [p, 'http://127.0.0.1:8080'])),
  },
});
