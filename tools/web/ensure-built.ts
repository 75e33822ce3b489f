/**
 * Builds the console (web/ → web/dist, served by the gateway at `/`) when it is missing or older
 * than its sources: `npm start` runs this first, so a fresh checkout serves the console without
 * a separate build step, and an unchanged one starts without rebuilding.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = join(dirname(fileURLToPath(import.meta.url)), '../../web');
const built = join(web, 'dist/index.html');

/** The newest modification time under a path (files and folders, recursively). */
function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((latest, name) => Math.max(latest, newest(join(path, name))), stat.mtimeMs);
}

const sources = ['src', 'index.html', 'vite.config.ts', 'package.json'].map((p) => join(web, p)).filter((p) => existsSync(p));
const stale = !existsSync(built) || sources.some((p) => newest(p) > statSync(built).mtimeMs);
if (stale) {
  console.log('building the console (web/dist)…');
  const run = spawnSync('npm', ['run', 'build', '-w', 'web'], { stdio: 'inherit', cwd: join(web, '..') });
  if (run.status !== 0) {
    console.error('the console did not build: the API starts without it (`/` answers 503 until `npm run build:web` succeeds)');
  }
}
