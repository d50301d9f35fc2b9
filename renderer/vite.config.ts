import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

// The renderer is built to static files served by the app:// protocol in
// Electron and by the token-guarded server in browser mode. No inline
// scripts, so the strict CSP holds.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
  },
  worker: { format: 'es' },
  logLevel: 'warn',
});
