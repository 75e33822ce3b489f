import { request as httpRequest } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@mandant/shared/log';
import { type Gateway, createGateway } from './app.ts';
import { CONSOLE_CSP, consoleDirSetting, resolveConsolePath } from './console.ts';
import { OPERATOR, fakeRpc } from './gateway.fixture.ts';

// The console served by the gateway from a temporary dist folder: files by path with their
// caching, encodings and security headers; the app's routes get index.html; nothing outside the
// folder is ever reachable. Generated cases are seeded: FC_SEED replays a failure.
const runs = (numRuns: number) => ({ seed: Number(process.env.FC_SEED ?? 20261202), numRuns });

const INDEX =
  '<!doctype html><html><head><script type="module" src="/assets/app-3f2a9c.js"></script></head><body><div id="root"></div></body></html>';
const SCRIPT = `export const app = ${JSON.stringify('console '.repeat(200))};\n`;
const STYLE = 'body { margin: 0 }\n';
const SECRET = 'this file is outside the console folder';

/** One raw request: fetch would normalise `..` and encoded dots before sending them. */
function raw(origin: string, path: string, method = 'GET', headers: Record<string, string> = {}) {
  const url = new URL(origin);
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function startWith(dir: string | null) {
  const gateway = await createGateway({
    config: { operatorToken: OPERATOR, jwt: {}, singleTenantPrincipal: null, bodyLimitBytes: 4096, console: { dir } },
    rpc: fakeRpc().client,
    log: createLogger({ level: 'silent' }),
    ready: async () => ({ ok: true, checks: {} }),
  });
  return { gateway, origin: await gateway.listen(0, '127.0.0.1') };
}

describe('the console served by the gateway', () => {
  let root = '';
  let gateway: Gateway;
  let origin = '';
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mandant-console-'));
    const dist = join(root, 'dist');
    await mkdir(join(dist, 'assets'), { recursive: true });
    await writeFile(join(dist, 'index.html'), INDEX);
    await writeFile(join(dist, 'assets', 'app-3f2a9c.js'), SCRIPT);
    await writeFile(join(dist, 'assets', 'app-77aa01.css'), STYLE);
    await writeFile(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    await writeFile(join(root, 'secret.txt'), SECRET);
    ({ gateway, origin } = await startWith(dist));
  });
  afterAll(async () => {
    await gateway?.close();
    await rm(root, { recursive: true, force: true });
  });

  const expectSecurityHeaders = (headers: Record<string, string | string[] | undefined> | Headers) => {
    const get = (name: string) => (headers instanceof Headers ? headers.get(name) : headers[name]);
    expect(get('content-security-policy')).toBe(CONSOLE_CSP);
    expect(get('x-content-type-options')).toBe('nosniff');
    expect(get('referrer-policy')).toBe('no-referrer');
    expect(get('cross-origin-opener-policy')).toBe('same-origin');
  };

  it('serves index.html at / and at every route of the app, never cached without revalidation', async () => {
    for (const path of ['/', '/signin', '/projects/acme/files', '/projects/acme/files/1?chunk=2', '/global/search', '/admin/keys']) {
      const res = await fetch(`${origin}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expectSecurityHeaders(res.headers);
      expect(await res.text()).toBe(INDEX);
    }
  });

  it('serves assets with their type, an ETag and a year of immutable caching', async () => {
    const js = await fetch(`${origin}/assets/app-3f2a9c.js`, { headers: { 'accept-encoding': 'identity' } });
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(await js.text()).toBe(SCRIPT);
    const css = await fetch(`${origin}/assets/app-77aa01.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const svg = await fetch(`${origin}/favicon.svg`);
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
    expect(svg.headers.get('cache-control')).toBe('no-cache');
  });

  it('sends brotli or gzip as accepted, each with its own ETag, and 304 for a matching If-None-Match', async () => {
    const br = await raw(origin, '/assets/app-3f2a9c.js', 'GET', { 'accept-encoding': 'gzip, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.body).toString()).toBe(SCRIPT);
    const gz = await raw(origin, '/assets/app-3f2a9c.js', 'GET', { 'accept-encoding': 'gzip, br;q=0' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(SCRIPT);
    const plain = await raw(origin, '/assets/app-3f2a9c.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(SCRIPT);
    expect(new Set([br.headers.etag, gz.headers.etag, plain.headers.etag]).size).toBe(3);
    expect(br.headers.vary).toBe('Accept-Encoding');
    const cached = await raw(origin, '/assets/app-3f2a9c.js', 'GET', {
      'accept-encoding': 'gzip',
      'if-none-match': String(gz.headers.etag),
    });
    expect(cached.status).toBe(304);
    expect(cached.body.length).toBe(0);
  });

  it('answers HEAD with the headers and no body', async () => {
    const res = await raw(origin, '/assets/app-3f2a9c.js', 'HEAD');
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(SCRIPT)));
    expect(res.body.length).toBe(0);
  });

  it('answers 404 for a missing asset, not index.html', async () => {
    const res = await fetch(`${origin}/assets/gone-000000.js`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expectSecurityHeaders(res.headers);
  });

  it('leaves /api/ to the API: its answers carry nosniff and X-Frame-Options, not the console', async () => {
    const health = await fetch(`${origin}/api/v1/healthz`);
    expect(health.status).toBe(200);
    expect(health.headers.get('x-content-type-options')).toBe('nosniff');
    expect(health.headers.get('x-frame-options')).toBe('DENY');
    const unknown = await fetch(`${origin}/api/v1/no-such-route`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await fetch(`${origin}/api`)).status).toBe(404);
  });

  it('never serves anything but the folder’s own files, whatever the path', async () => {
    const hostile = fc.oneof(
      fc.constantFrom(
        '/../secret.txt',
        '/assets/../../secret.txt',
        '/%2e%2e/secret.txt',
        '/assets/%2e%2e/%2e%2e/secret.txt',
        '/%2E%2E%2Fsecret.txt',
        '/..%2fsecret.txt',
        '/..%5csecret.txt',
        '/assets/..\\..\\secret.txt',
        '/assets/app-3f2a9c.js%00.html',
        '/%00',
        '/assets/%',
        '/assets/%zz',
        '//secret.txt',
        '/./index.html',
        `/${'a/'.repeat(3000)}`,
        `/assets/${'%2e%2e/'.repeat(500)}secret.txt`,
      ),
      fc
        .array(fc.constantFrom('..', '%2e%2e', '%2E.', '.%2e', '.', '', 'assets', 'secret.txt', '%00', '\\', '%5c', '%2f', 'index.html'), {
          maxLength: 12,
        })
        .map((parts) => `/${parts.join('/')}`),
    );
    await fc.assert(
      fc.asyncProperty(hostile, async (path) => {
        const res = await raw(origin, path).catch(() => null);
        // the HTTP parser may refuse the request line outright; that serves nothing either
        if (!res) return;
        expect(res.body.toString()).not.toContain(SECRET);
        expect([200, 400, 404, 414, 431]).toContain(res.status);
        if (res.status === 200)
          expect([INDEX, SCRIPT, STYLE].includes(res.body.toString()) || res.body.toString().startsWith('<svg')).toBe(true);
      }),
      runs(150),
    );
  });

  it('resolves paths only to the files it holds', () => {
    const files = new Map([
      ['/index.html', 1],
      ['/assets/app.js', 2],
    ]);
    expect(resolveConsolePath('/assets/app.js', files)).toEqual({ file: '/assets/app.js' });
    expect(resolveConsolePath('/assets/%61pp.js', files)).toEqual({ file: '/assets/app.js' });
    expect(resolveConsolePath('/assets/other.js', files)).toBe('missing');
    expect(resolveConsolePath('/assets/../index.html', files)).toBe('missing');
    expect(resolveConsolePath('/projects/x/files', files)).toBe('index');
    expect(resolveConsolePath('/projects/x/', files)).toBe('index');
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const r = resolveConsolePath(`/${s}`, files);
        expect(r === 'index' || r === 'missing' || files.has(r.file)).toBe(true);
      }),
      runs(500),
    );
  });
});

describe('the gateway without a built console', () => {
  it('answers 503 with a page saying how to build it, while the API works', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mandant-console-empty-'));
    try {
      for (const dir of [null, root]) {
        const { gateway, origin } = await startWith(dir);
        try {
          const res = await fetch(`${origin}/`);
          expect(res.status).toBe(503);
          expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
          expect(res.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
          expect(await res.text()).toContain('The console is not built: run <code>npm run build:web</code>');
          expect((await fetch(`${origin}/api/v1/healthz`)).status).toBe(200);
        } finally {
          await gateway.close();
        }
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('reads MANDANT_CONSOLE_DIR: unset is the default, none is no console', () => {
    expect(consoleDirSetting(undefined, '/app/web/dist')).toBe('/app/web/dist');
    expect(consoleDirSetting('none', '/app/web/dist')).toBeNull();
    expect(consoleDirSetting('/srv/console', '/app/web/dist')).toBe('/srv/console');
  });
});
