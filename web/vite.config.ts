import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The console is served by the gateway from web/dist at `/`, the API beside it at /api/v1.
// `npm run dev -w web` proxies the API to a platform started with `npm start` (port 3000).
export default defineConfig({
  plugins: [react()],
  build: {
    target: 'es2022',
    // the graph library is large and only the graph page needs it: its own chunk, loaded there
    chunkSizeWarningLimit: 600,
    // no inline module-preload polyfill: the Content-Security-Policy allows scripts from the origin only
    modulePreload: { polyfill: false },
  },
  server: { proxy: { '/api': process.env.MANDANT_API_URL ?? 'http://127.0.0.1:3000' } },
});
