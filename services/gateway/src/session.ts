import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { type Principal, Session, SessionInput } from '@mandant/contracts';
import { z } from 'zod';
import { type Authenticator, sameSecret } from './auth.ts';
import { type HttpRequest, type HttpResponse, header } from './http.ts';
import { buildInput } from './input.ts';
import type { Endpoint } from './nest.ts';
import { ProblemError } from './problem.ts';
import { stateOf } from './request.ts';
import type { ApiRoute } from './routes.ts';

/**
 * Console sign-in: a credential (API key or JWT) exchanged for an HttpOnly, SameSite=Strict
 * cookie. The cookie holds the credential itself, a CSRF token and an expiry, sealed with
 * AES-256-GCM, so the gateway stays stateless: any replica with the same secret opens it, and
 * the credential is authenticated again on every request exactly as an `Authorization` header
 * would be (a revoked key ends its sessions at once). Writes authenticated by the cookie must
 * echo the CSRF token in `X-CSRF-Token` and, when they carry an Origin, come from this origin.
 */

export const SESSION_COOKIE = 'mandant_session';
export const SESSION_TTL_SECONDS = 12 * 60 * 60;
export const CSRF_HEADER = 'x-csrf-token';

export interface SessionConfig {
  /**
   * What the sealing key is derived from (HKDF-SHA256): MANDANT_SESSION_SECRET when set, else
   * the operator token, which every replica already shares. Changing it ends every session.
   */
  secret: string;
  /** MANDANT_COOKIE_SECURE: always mark the cookie `Secure` */
  cookieSecure?: boolean;
  /** MANDANT_TRUST_PROXY: the gateway is behind a proxy whose `X-Forwarded-Proto` tells https requests apart */
  trustProxy?: boolean;
}

/** What a session cookie carries once opened. */
export interface SessionSeal {
  credential: string;
  csrf: string;
  /** epoch milliseconds */
  expiresAt: number;
}

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
// the cookie's name is bound into the seal: a value sealed for anything else does not open here
const AAD = Buffer.from(`${SESSION_COOKIE} v${VERSION}`);
/** a sealed credential of the longest accepted length fits well within this; anything longer is refused unread */
const SEALED_MAX_CHARS = 4096;

const Sealed = z.strictObject({
  c: z.string().min(1),
  t: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  e: z.number().int().positive(),
});

export interface Sealer {
  seal(session: SessionSeal): string;
  /** the session, or null when the value is malformed, forged, sealed under another key, or expired */
  open(value: string): SessionSeal | null;
}

export function createSealer(secret: string, now: () => number = Date.now): Sealer {
  if (secret.length === 0) throw new Error('a session secret is required');
  const key = Buffer.from(hkdfSync('sha256', secret, 'mandant-session', 'cookie seal v1', 32));
  return {
    seal({ credential, csrf, expiresAt }) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(AAD);
      const body = Buffer.concat([cipher.update(JSON.stringify({ c: credential, t: csrf, e: expiresAt }), 'utf8'), cipher.final()]);
      return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]).toString('base64url');
    },
    open(value) {
      if (value.length === 0 || value.length > SEALED_MAX_CHARS || !/^[A-Za-z0-9_-]+$/.test(value)) return null;
      const bytes = Buffer.from(value, 'base64url');
      if (bytes.length <= 1 + IV_BYTES + TAG_BYTES || bytes[0] !== VERSION) return null;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(1, 1 + IV_BYTES));
        decipher.setAAD(AAD);
        decipher.setAuthTag(bytes.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES));
        const text = Buffer.concat([decipher.update(bytes.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
        const parsed = Sealed.safeParse(JSON.parse(text));
        if (!parsed.success || parsed.data.e <= now()) return null;
        return { credential: parsed.data.c, csrf: parsed.data.t, expiresAt: parsed.data.e };
      } catch {
        // a wrong tag (forged, flipped, another key) or a body that is not JSON: no session
        return null;
      }
    },
  };
}

/** Every value of the session cookie a `Cookie` header sends (several: one planted for a parent domain or another path). */
export function sessionCookiesOf(cookieHeader: string | undefined): string[] {
  const found: string[] = [];
  if (!cookieHeader) return found;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === SESSION_COOKIE) found.push(part.slice(eq + 1).trim());
  }
  return found;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
export const isUnsafeMethod = (method: string | undefined): boolean => UNSAFE.has((method ?? '').toUpperCase());

/** Whether the request came over https: a TLS socket, or (behind a trusted proxy only) `X-Forwarded-Proto: https`. */
function overHttps(req: IncomingMessage, trustProxy: boolean): boolean {
  if ((req.socket as Partial<TLSSocket>).encrypted) return true;
  if (!trustProxy) return false;
  return header(req, 'x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() === 'https';
}

/**
 * Whether an `Origin` header names the host the request was sent to. Browsers send Origin on
 * every cross-origin request and on same-origin writes; an opaque `null` origin never matches.
 * Behind a trusted proxy that rewrites Host, `X-Forwarded-Host` is the host the browser saw.
 */
export function sameOrigin(req: IncomingMessage, trustProxy = false): boolean {
  const origin = header(req, 'origin');
  if (origin === undefined) return true;
  const forwarded = trustProxy ? header(req, 'x-forwarded-host')?.split(',')[0]?.trim() : undefined;
  const host = (forwarded || header(req, 'host'))?.toLowerCase();
  if (!host) return false;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host.toLowerCase() === host;
  } catch {
    return false;
  }
}

const csrfRefused = (why: string) => new ProblemError('csrf', why);

/** Constant-time comparison of the echoed CSRF token with the sealed one. */
function csrfMatches(given: string | undefined, expected: string): boolean {
  return given !== undefined && sameSecret(given, expected);
}

export interface Sessions {
  readonly sealer: Sealer;
  /**
   * What the guard authenticates a request with: its `Authorization` header when it has one;
   * else the credential of its session cookie (as `Bearer …`), once the CSRF rules for unsafe
   * methods hold. Throws 401 (and clears the cookie) for a cookie that does not open, 403 `csrf`
   * for a write without the token or from another origin. Single-tenant mode has no credentials
   * at all: there a write carrying another origin is refused.
   */
  authorizationOf(req: HttpRequest, res: HttpResponse): string | undefined;
  /** whether the request's Origin, if any, is this gateway's (session.ts `sameOrigin`, with the proxy setting) */
  sameOrigin(req: IncomingMessage): boolean;
  /** the opened session of a request authenticated by its cookie (set by authorizationOf) */
  sessionOf(res: HttpResponse): SessionSeal | null;
  setCookie(req: IncomingMessage, res: HttpResponse, sealed: string): void;
  clearCookie(req: IncomingMessage, res: HttpResponse): void;
}

const OPENED = 'mandantSession';

export function createSessions(cfg: SessionConfig & { singleTenant: boolean }, now: () => number = Date.now): Sessions {
  const sealer = createSealer(cfg.secret, now);
  const attributes = (req: IncomingMessage) =>
    `; Path=/; HttpOnly; SameSite=Strict${cfg.cookieSecure || overHttps(req, cfg.trustProxy ?? false) ? '; Secure' : ''}`;
  const appendCookie = (res: HttpResponse, cookie: string) => {
    const current = res.getHeader('Set-Cookie');
    const list = current === undefined ? [] : Array.isArray(current) ? current : [String(current)];
    res.setHeader('Set-Cookie', [...list.filter((c) => !c.startsWith(`${SESSION_COOKIE}=`)), cookie]);
  };
  const sessions: Sessions = {
    sealer,
    authorizationOf(req, res) {
      const authorization = header(req, 'authorization');
      const unsafe = isUnsafeMethod(req.method);
      if (cfg.singleTenant) {
        // no credential protects single-tenant mode: a page of another origin must not write through the browser
        if (unsafe && !sessions.sameOrigin(req)) throw csrfRefused('a write from another origin is refused');
        return authorization;
      }
      if (authorization !== undefined) return authorization;
      const cookies = sessionCookiesOf(header(req, 'cookie'));
      if (cookies.length === 0) return undefined;
      // two session cookies are refused: which one the browser sent first is not a choice to make here
      const opened = cookies.length === 1 && cookies[0] !== undefined ? sealer.open(cookies[0]) : null;
      if (!opened) {
        sessions.clearCookie(req, res);
        throw new ProblemError('unauthenticated', 'the session is invalid or has expired: sign in again');
      }
      if (unsafe) {
        if (!sessions.sameOrigin(req)) throw csrfRefused('a write from another origin is refused');
        if (!csrfMatches(header(req, CSRF_HEADER), opened.csrf)) {
          throw csrfRefused('a write authenticated by the session cookie needs the X-CSRF-Token header of GET /api/v1/session');
        }
      }
      res.locals[OPENED] = opened;
      return `Bearer ${opened.credential}`;
    },
    sameOrigin: (req) => sameOrigin(req, cfg.trustProxy ?? false),
    sessionOf: (res) => (res.locals[OPENED] as SessionSeal | undefined) ?? null,
    setCookie(req, res, sealed) {
      appendCookie(res, `${SESSION_COOKIE}=${sealed}; Max-Age=${SESSION_TTL_SECONDS}${attributes(req)}`);
    },
    clearCookie(req, res) {
      appendCookie(res, `${SESSION_COOKIE}=; Max-Age=0${attributes(req)}`);
    },
  };
  return sessions;
}

/**
 * The three session routes, described like the route table's (the OpenAPI document and input
 * validation read them) but answered by the gateway itself: no service holds sessions.
 */
const route = (name: string, method: 'GET' | 'POST' | 'DELETE', summary: string, extra: Partial<ApiRoute> = {}): ApiRoute => ({
  name,
  method,
  path: '/session',
  pattern: '',
  status: method === 'DELETE' ? 204 : 200,
  access: 'audit',
  tag: 'session',
  summary,
  ...extra,
});
export const sessionRoutes = {
  create: route('createSession', 'POST', 'Sign in to the console: exchange an API key or a JWT for an HttpOnly session cookie', {
    input: SessionInput,
    output: Session,
  }),
  get: route(
    'getSession',
    'GET',
    'The signed-in principal and the CSRF token its writes must send (single-tenant mode: the default principal)',
    {
      output: Session,
    },
  ),
  remove: route('deleteSession', 'DELETE', 'Sign out: the session cookie is cleared (always 204)'),
} as const;

export interface SessionEndpointDeps {
  sessions: Sessions;
  auth: Authenticator;
  singleTenant: boolean;
  /** the tenant's rate limit around an endpoint whose caller is known (tenant-limits.ts), or nothing */
  limit: (endpoint: Endpoint) => Endpoint;
}

const answer = (principal: Principal, seal: SessionSeal | null, singleTenant: boolean): Session => ({
  principal,
  csrf_token: seal?.csrf ?? null,
  single_tenant: singleTenant,
  expires_at: seal ? new Date(seal.expiresAt).toISOString() : null,
});

export function sessionEndpoints(deps: SessionEndpointDeps, now: () => number = Date.now): Endpoint[] {
  const { sessions, auth, singleTenant } = deps;
  const of = (r: ApiRoute, access: Endpoint['access'], handle: Endpoint['handle']): Endpoint => ({
    name: r.name,
    method: r.method,
    path: r.path,
    access,
    handle,
  });

  // the rate limit runs once the caller is known, i.e. after the credential is authenticated
  const signedIn = deps.limit(
    of(sessionRoutes.create, 'audit', (req, res) => {
      const seal = sessions.sessionOf(res);
      const caller = stateOf(res).caller;
      if (!seal || caller?.kind !== 'tenant') throw new Error('sign-in reached its answer without a session');
      sessions.setCookie(req, res, sessions.sealer.seal(seal));
      res.setHeader('Cache-Control', 'no-store');
      res.status(200).json(answer(caller.principal, seal, false));
    }),
  );
  const create = of(sessionRoutes.create, null, async (req, res) => {
    if (singleTenant)
      throw new ProblemError('conflict', 'single-tenant mode has no sign-in: every request acts as the default tenant admin');
    if (!sessions.sameOrigin(req)) throw new ProblemError('csrf', 'a sign-in from another origin is refused');
    const { credential } = buildInput(sessionRoutes.create, req) as SessionInput;
    const state = stateOf(res);
    const principal = await auth.signIn(credential, state.meta);
    state.caller = { kind: 'tenant', principal };
    const seal: SessionSeal = { credential, csrf: randomBytes(32).toString('base64url'), expiresAt: now() + SESSION_TTL_SECONDS * 1000 };
    res.locals[OPENED] = seal;
    await signedIn.handle(req, res);
  });
  const get = deps.limit(
    of(sessionRoutes.get, 'audit', (_req, res) => {
      const caller = stateOf(res).caller;
      if (caller?.kind !== 'tenant') throw new Error('getSession reached without a tenant caller');
      res.setHeader('Cache-Control', 'no-store');
      res.status(200).json(answer(caller.principal, singleTenant ? null : sessions.sessionOf(res), singleTenant));
    }),
  );
  // signing out needs nothing but the cookie to clear, so a broken or revoked session can always sign out
  const remove = of(sessionRoutes.remove, null, (req, res) => {
    if (!singleTenant && !sessions.sameOrigin(req)) throw new ProblemError('csrf', 'a sign-out from another origin is refused');
    sessions.clearCookie(req, res);
    res.status(204).end();
  });
  return [create, get, remove];
}
