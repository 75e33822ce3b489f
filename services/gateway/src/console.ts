import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import type { HttpRequest, HttpResponse, Middleware } from './http.ts';
import { header } from './http.ts';
import { stateOf } from './request.ts';

/**
 * The web console (web/dist, built by `npm run build:web`) served by the gateway at `/`, beside
 * the API under `/api/`. Every file is read into memory once at start, with its gzip and brotli
 * versions, and a request only ever looks a path up in that table: nothing on disk is opened
 * from a request's path, so no path, however crafted, can reach a file outside the folder.
 * Paths that name no file are the single-page app's own routes and get index.html, except under
 * `/assets/`, where a missing file is a 404 (a stale chunk must fail, not load HTML as script).
 */

export interface ConsoleConfig {
  /** the built console's folder (index.html and assets/); null: no console */
  dir: string | null;
}

/**
 * The Content-Security-Policy of every console answer. Vite's production build loads scripts
 * and styles from files only (no inline script or style element), so nothing needs 'unsafe-inline'.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONSOLE_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.map', '.webmanifest', '.txt', '.svg', '.wasm']);

type Encoding = 'br' | 'gzip' | 'identity';

interface Variant {
  body: Buffer;
  etag: string;
}

interface ConsoleFile {
  type: string;
  cacheControl: string;
  variants: Partial<Record<Encoding, Variant>> & { identity: Variant };
}

/** Files beyond these are not loaded: the console's dist folder is a few megabytes at most. */
const MAX_FILES = 2_000;
const MAX_TOTAL_BYTES = 64 * 1024 * 1024;
/** a console path is short; anything longer names no file */
const MAX_PATH_CHARS = 1024;

const etagOf = (body: Buffer, suffix: string) => `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}${suffix}"`;

function variantsOf(body: Buffer, ext: string): ConsoleFile['variants'] {
  const variants: ConsoleFile['variants'] = { identity: { body, etag: etagOf(body, '') } };
  if (!COMPRESSIBLE.has(ext) || body.length < 256) return variants;
  const gz = gzipSync(body, { level: 9 });
  if (gz.length < body.length) variants.gzip = { body: gz, etag: etagOf(body, '-gz') };
  // quality 9 instead of 11: nearly as small, and an order of magnitude cheaper at start
  const br = brotliCompressSync(body, {
    params: { [zlib.BROTLI_PARAM_QUALITY]: 9, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length },
  });
  if (br.length < body.length) variants.br = { body: br, etag: etagOf(body, '-br') };
  return variants;
}

/** Every regular file under `dir`, by its URL path (`/index.html`, `/assets/app-3f2a.js`). Links are not followed. */
function readTree(dir: string): Map<string, ConsoleFile> {
  const files = new Map<string, ConsoleFile>();
  let total = 0;
  const walk = (folder: string, prefix: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = join(folder, entry.name);
      const url = `${prefix}/${entry.name}`;
      if (entry.isDirectory()) walk(full, url);
      else if (entry.isFile() && lstatSync(full).isFile()) {
        if (files.size >= MAX_FILES) throw new Error(`the console folder ${dir} holds more than ${MAX_FILES} files`);
        const body = readFileSync(full);
        total += body.length;
        if (total > MAX_TOTAL_BYTES) throw new Error(`the console folder ${dir} holds more than ${MAX_TOTAL_BYTES} bytes`);
        const ext = extname(entry.name).toLowerCase();
        files.set(url, {
          type: TYPES[ext] ?? 'application/octet-stream',
          // hashed names never change content; anything else is checked again on every load
          cacheControl: url.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
          variants: variantsOf(body, ext),
        });
      }
    }
  };
  walk(dir, '');
  return files;
}

/** The encodings a request accepts, from `Accept-Encoding` (a `q=0` refuses one). */
function accepted(acceptEncoding: string | undefined): Set<string> {
  const out = new Set<string>();
  for (const part of (acceptEncoding ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (name && !(q && Number(q.slice(2)) === 0)) out.add(name);
  }
  return out;
}

function pickVariant(file: ConsoleFile, acceptEncoding: string | undefined): [Encoding, Variant] {
  const ok = accepted(acceptEncoding);
  if (file.variants.br && ok.has('br')) return ['br', file.variants.br];
  if (file.variants.gzip && (ok.has('gzip') || ok.has('x-gzip'))) return ['gzip', file.variants.gzip];
  return ['identity', file.variants.identity];
}

/**
 * The file a request path names, `index` for a route of the app, or `missing`. The path is
 * decoded once; one that does not decode, or holds a NUL, a backslash, a `.` or `..` segment or
 * an empty one, names nothing (no file's path has any of those).
 */
export type Resolved = { file: string } | 'index' | 'missing';

export function resolveConsolePath(rawPath: string, files: ReadonlyMap<string, unknown>): Resolved {
  if (rawPath.length > MAX_PATH_CHARS || !rawPath.startsWith('/')) return 'missing';
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return 'missing';
  }
  if (path.includes('\0') || path.includes('\\')) return 'missing';
  const segments = path.split('/').slice(1);
  const trailing = segments.at(-1) === '';
  const inner = trailing ? segments.slice(0, -1) : segments;
  if (inner.some((s) => s === '' || s === '.' || s === '..')) return 'missing';
  if (!trailing && files.has(path)) return { file: path };
  if (path === '/assets' || path.startsWith('/assets/')) return 'missing';
  return 'index';
}

/** Whether a path belongs to the API (answered by the routes, never by the console). */
const isApiPath = (path: string) => path === '/api' || path.startsWith('/api/');

const NOT_BUILT =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Mandant</title></head><body>' +
  '<h1>The console is not built</h1><p>The console is not built: run <code>npm run build:web</code>, then restart.</p></body></html>';

function plain(res: HttpResponse, status: number, text: string, head: boolean) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(head ? undefined : text);
}

export interface ConsoleServer {
  /** whether a built console was found (index.html present) */
  readonly built: boolean;
  middleware: Middleware;
}

/**
 * The console's middleware: answers GET and HEAD outside `/api/`, passes everything else on.
 * Without a built console (no dir, or no index.html in it) every such path answers 503 with a
 * short page saying how to build it; the API works the same either way.
 */
export function consoleServer(config: ConsoleConfig | undefined): ConsoleServer {
  const dir = config?.dir ?? null;
  const files = dir && existsSync(join(dir, 'index.html')) ? readTree(dir) : null;
  const index = files?.get('/index.html') ?? null;

  const serve = (req: HttpRequest, res: HttpResponse, path: string) => {
    const head = req.method === 'HEAD';
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    if (!files || !index) {
      res.statusCode = 503;
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Retry-After', '60');
      return void res.end(head ? undefined : NOT_BUILT);
    }
    const resolved = resolveConsolePath(path, files);
    if (resolved === 'missing') return plain(res, 404, 'Not found', head);
    const file = resolved === 'index' ? index : files.get(resolved.file);
    if (!file) return plain(res, 404, 'Not found', head);
    const [encoding, variant] = pickVariant(file, header(req, 'accept-encoding'));
    res.setHeader('Content-Type', file.type);
    res.setHeader('Cache-Control', file.cacheControl);
    res.setHeader('ETag', variant.etag);
    res.setHeader('Vary', 'Accept-Encoding');
    if (encoding !== 'identity') res.setHeader('Content-Encoding', encoding);
    const match = header(req, 'if-none-match');
    if (match && match.split(',').some((tag) => tag.trim().replace(/^W\//, '') === variant.etag)) {
      res.statusCode = 304;
      return void res.end();
    }
    res.statusCode = 200;
    res.setHeader('Content-Length', String(variant.body.length));
    res.end(head ? undefined : variant.body);
  };

  return {
    built: index !== null,
    middleware(req, res, next) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return next();
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      if (isApiPath(path)) return next();
      stateOf(res).route = 'console';
      serve(req, res, path);
    },
  };
}

/** MANDANT_CONSOLE_DIR as a setting: unset, the given default (the repository's web/dist); `none`, no console. */
export function consoleDirSetting(value: string | undefined, fallback: string): string | null {
  if (value === undefined || value === '') return fallback;
  return value === 'none' ? null : value;
}
