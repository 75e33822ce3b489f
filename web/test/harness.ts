import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import axe from 'axe-core';
import { type Browser, type BrowserContext, type Locator, type Page, chromium } from 'playwright-core';
import { expect, onTestFinished } from 'vitest';
import type { MandantClient } from '@mandant/client';
import { type Harness, OPERATOR, ok, startHarness } from '@mandant/platform/testing';
import { findNatsServer } from '@mandant/shared/runtime';
import { backendMissing, eventually, postgresUrls } from '@mandant/shared/testing';
import { chromiumOrSkip } from '../../tools/chromium.ts';

export { OPERATOR, ok };

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WEB = join(ROOT, 'web');
/**
 * The built console the suites test: web/dist (built when stale), or a build elsewhere named by
 * MANDANT_TEST_CONSOLE_DIR, tested as it is (a release's build, or one of another revision).
 */
const GIVEN_CONSOLE_DIR = process.env.MANDANT_TEST_CONSOLE_DIR?.trim() || null;
export const CONSOLE_DIR = GIVEN_CONSOLE_DIR ?? join(WEB, 'dist');
/** Screenshots of every step: test artefacts, never committed. */
export const SHOTS_DIR = join(ROOT, 'test-results', 'browser');

/**
 * What a browser suite needs, checked at collection time: a Postgres, a nats-server and a
 * Chromium. Each missing one skips the suite with the marker line CI fails on.
 */
export function browserPrerequisites(): { ownerUrl: string; chromium: string } | null {
  const pg = postgresUrls();
  const nats = backendMissing('nats', findNatsServer() ? null : 'no nats-server binary for the platform under test');
  const executable = chromiumOrSkip();
  return pg && !nats && executable ? { ownerUrl: pg.ownerUrl, chromium: executable } : null;
}

async function newestMtime(path: string): Promise<number> {
  const s = await stat(path).catch(() => null);
  if (!s) return 0;
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = s.mtimeMs;
  for (const entry of await readdir(path)) newest = Math.max(newest, await newestMtime(join(path, entry)));
  return newest;
}

let built: Promise<void> | null = null;

/** A build that held the lock longer than this died without releasing it. */
const STALE_LOCK_MS = 10 * 60_000;

async function fresh(): Promise<boolean> {
  const index = join(CONSOLE_DIR, 'index.html');
  const sources = Math.max(
    ...(await Promise.all(['src', 'index.html', 'vite.config.ts', 'package.json'].map((p) => newestMtime(join(WEB, p))))),
  );
  return existsSync(index) && statSync(index).mtimeMs >= sources;
}

function build(): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = spawn('npm', ['run', 'build', '-w', 'web'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`npm run build -w web exited with ${code}:\n${output.slice(-4000)}`)),
    );
  });
}

/**
 * Builds the console (`npm run build -w web`) when web/dist is missing or older than its
 * sources: the suites test what the gateway serves, never a dev server. Test files run in
 * several processes at once, so one builds (holding a lock directory) while the others wait.
 */
export function ensureConsoleBuilt(): Promise<void> {
  built ??= (async () => {
    if (GIVEN_CONSOLE_DIR) return;
    // under node_modules/.cache: out of git's sight, shared by every test process of the checkout
    const lock = join(ROOT, 'node_modules', '.cache', 'mandant-web-build.lock');
    await mkdir(dirname(lock), { recursive: true });
    const outcome: { failed?: Error } = {};
    await eventually(
      async () => {
        if (await fresh()) return true;
        try {
          await mkdir(lock);
        } catch {
          const held = await stat(lock).catch(() => null);
          if (held && Date.now() - held.mtimeMs > STALE_LOCK_MS) await rm(lock, { recursive: true, force: true });
          return false;
        }
        try {
          if (!(await fresh())) await build();
        } catch (err) {
          // a broken build fails the suite at once, not after the lock's deadline
          outcome.failed = err instanceof Error ? err : new Error(String(err));
        } finally {
          await rm(lock, { recursive: true, force: true });
        }
        return true;
      },
      'the console built (web/dist)',
      STALE_LOCK_MS + 60_000,
      500,
    );
    if (outcome.failed) throw outcome.failed;
  })();
  return built;
}

/** A guarded browser tab: its console errors, uncaught page errors and 5xx answers fail the test. */
export interface Tab {
  page: Page;
  context: BrowserContext;
  /** what went wrong in the page so far: console errors, page errors, 5xx answers */
  problems: string[];
  /** a screenshot of the page as it is now, numbered in the test's order */
  shot: (name: string) => Promise<void>;
  /** closes the tab's context and fails naming its problems, if any */
  close: () => Promise<void>;
}

/** A refused request (4xx) is the API answering, which the console shows as an alert; Chromium also logs it. */
const REFUSAL_LOG = /^Failed to load resource: the server responded with a status of 4\d\d/;

export interface ConsoleHarness {
  h: Harness;
  /** the console's origin, `http://127.0.0.1:<port>` */
  origin: string;
  browser: Browser;
  /** the typed API client acting with `token` (null: none) */
  client(token: string | null): MandantClient;
  /**
   * A new browser context and tab, watched for errors. Closed (and its problems asserted) when
   * the test that opened it ends.
   */
  open(opts?: { label?: string }): Promise<Tab>;
  /** a fresh tenant with an admin key, an auditor key and helpers to add users, projects and documents */
  tenant(name?: string): Promise<TenantFixture>;
  stop(): Promise<void>;
}

export interface TenantFixture {
  id: string;
  slug: string;
  name: string;
  /** the tenant admin's API key */
  admin: string;
  /** a tenant-level auditor key */
  auditor(): Promise<string>;
  /** a member user of the tenant and an API key acting as them */
  user(name: string): Promise<{ id: string; key: string; email: string }>;
  project(name: string, token?: string): Promise<{ id: string; slug: string; name: string }>;
  member(projectId: string, userId: string, role: 'viewer' | 'editor' | 'admin'): Promise<void>;
  archive(projectId: string): Promise<void>;
  /** an inline text document in a project, waited for until processed */
  document(projectId: string, doc: { title: string; content: string }, token?: string): Promise<{ id: string }>;
}

/**
 * The whole platform in this process on a fresh database (the platform's own e2e harness),
 * serving the built console, and a headless Chromium driven by playwright-core.
 */
export async function startConsole(pre: { ownerUrl: string; chromium: string }, env: Record<string, string> = {}): Promise<ConsoleHarness> {
  await ensureConsoleBuilt();
  const h = await startHarness({ ownerUrl: pre.ownerUrl, env: { MANDANT_CONSOLE_DIR: CONSOLE_DIR, ...env } });
  let browser: Browser;
  try {
    // root in a container has no user namespaces for Chromium's sandbox
    browser = await chromium.launch({ executablePath: pre.chromium, headless: true, args: ['--no-sandbox'] });
  } catch (err) {
    await h.stop();
    throw err;
  }
  const origin = new URL(h.api).origin;
  const client = (token: string | null) => h.client(token);

  const ui: ConsoleHarness = {
    h,
    origin,
    browser,
    client,
    async open(opts = {}) {
      const context = await browser.newContext({ baseURL: origin, viewport: { width: 1280, height: 800 } });
      context.setDefaultTimeout(STEP_MS);
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (msg) => {
        if (msg.type() === 'error' && !REFUSAL_LOG.test(msg.text())) problems.push(`console error: ${msg.text()}`);
      });
      page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
      page.on('response', (res) => {
        if (res.status() >= 500) problems.push(`${res.status()} from ${res.request().method()} ${res.url()}`);
      });
      const test = expect.getState().currentTestName ?? opts.label ?? 'suite';
      let closed = false;
      const tab: Tab = {
        page,
        context,
        problems,
        shot: (name) => shot(page, name, test),
        async close() {
          if (closed) return;
          closed = true;
          await context.close();
          // named in full: a failure summary cuts a long array short
          if (problems.length) throw new Error(`problems in the page (${test}):\n${problems.join('\n')}`);
        },
      };
      if (expect.getState().currentTestName)
        onTestFinished(async ({ task }) => {
          // the page as the failure left it, beside the steps' screenshots
          if (task.result?.state === 'fail' && !closed) await shot(page, 'failure', test).catch(() => {});
          await tab.close();
        });
      return tab;
    },
    async tenant(name = 'Tenant') {
      const slug = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${randomUUID().slice(0, 6)}`;
      const created = await ok(client(OPERATOR).POST('/tenants', { body: { name, slug } }));
      const admin = created.admin_api_key;
      const c = client(admin);
      return {
        id: created.tenant.id,
        slug,
        name,
        admin,
        auditor: async () => (await ok(c.POST('/api-keys', { body: { name: 'audit', role: 'auditor' } }))).secret,
        async user(userName) {
          const email = `${userName.toLowerCase().replace(/[^a-z0-9]+/g, '.')}.${randomUUID().slice(0, 4)}@${slug}.example`;
          const u = await ok(c.POST('/users', { body: { email, name: userName } }));
          const key = (await ok(c.POST('/api-keys', { body: { name: userName, user_id: u.id } }))).secret;
          return { id: u.id, key, email };
        },
        async project(projectName, token = admin) {
          const p = await ok(client(token).POST('/projects', { body: { name: projectName } }));
          return { id: p.id, slug: p.slug, name: p.name };
        },
        async member(id, user_id, role) {
          await ok(c.PUT('/projects/{id}/members/{user_id}', { params: { path: { id, user_id } }, body: { role } }));
        },
        async archive(id) {
          await ok(c.POST('/projects/{id}/archive', { params: { path: { id } } }));
        },
        async document(id, doc, token = admin) {
          const d = await ok(client(token).POST('/projects/{id}/documents', { params: { path: { id } }, body: doc }));
          await eventually(
            async () => (await ok(c.GET('/documents/{id}', { params: { path: { id: d.id } } }))).status === 'processed',
            `document ${doc.title} processed`,
          );
          return { id: d.id };
        },
      };
    },
    async stop() {
      await browser.close().catch(() => {});
      await h.stop();
    },
  };
  return ui;
}

const shotCounters = new Map<string, number>();

/**
 * Writes a screenshot to test-results/browser/<test>/<nn>-<name>.png (numbered per test, so a
 * journey's steps read in order).
 */
export async function shot(page: Page, name: string, test = expect.getState().currentTestName ?? 'suite'): Promise<void> {
  const dir = join(SHOTS_DIR, safeName(test));
  const n = (shotCounters.get(dir) ?? 0) + 1;
  shotCounters.set(dir, n);
  // a test's first screenshot of this run clears those of earlier runs, so the numbers tell one story
  if (n === 1) await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${String(n).padStart(2, '0')}-${safeName(name)}.png`), fullPage: true });
}

const safeName = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 100) || 'unnamed';

/** Signs in through the sign-in page, as a user would, and waits to leave it. */
export async function signIn(page: Page, credential: string): Promise<void> {
  await page.goto('/signin');
  await page.getByRole('textbox', { name: 'API key or token' }).fill(credential);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
}

/** Signs a context in through the API (the same cookie the page would get): for pages a test opens directly. */
export async function signInByApi(context: BrowserContext, credential: string): Promise<void> {
  const res = await context.request.post('/api/v1/session', { data: { credential } });
  expect(res.status(), await res.text()).toBe(200);
}

/**
 * Runs axe-core on the page as it is and fails naming every serious or critical violation.
 * axe is evaluated through the DevTools protocol, which the page's CSP (no inline scripts)
 * does not govern, so the page is checked under its real policy.
 */
export async function expectNoSeriousAxeViolations(page: Page, what = page.url()): Promise<void> {
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(axe.source);
  // every rule axe has (WCAG A/AA and best practices), as its default run
  const results = await page.evaluate<axe.AxeResults>('window.axe.run(document, { resultTypes: ["violations"] })');
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(serious, `axe on ${what}`).toEqual([]);
}

/** What the in-page checks read of an element (this program has Node's types, not the DOM's). */
interface FocusableNode {
  tagName: string;
  ownerDocument: { activeElement: unknown };
}

/**
 * Presses Tab from the top of the page until `target` has the focus; fails when it is not
 * reached within `maxTabs` presses (not keyboard reachable).
 */
export async function tabTo(page: Page, target: ReturnType<Page['getByRole']>, maxTabs = 60): Promise<number> {
  await page.evaluate('document.activeElement && document.activeElement.blur && document.activeElement.blur()');
  for (let i = 1; i <= maxTabs; i++) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((el: FocusableNode) => el === el.ownerDocument.activeElement).catch(() => false)) return i;
  }
  throw new Error(`${target.toString()} not reached with ${maxTabs} Tab presses`);
}

/** How long a step may wait for the console to show something: generous, as a busy CI machine needs. */
export const STEP_MS = 60_000;

/** Waits until the (first) element is visible and answers it. */
export async function visible(locator: Locator, timeout = STEP_MS): Promise<Locator> {
  await locator.first().waitFor({ state: 'visible', timeout });
  return locator.first();
}

/** The header's project selector button (`Project: {name}`), any project. */
export const projectButton = (page: Page, name?: string) =>
  page.getByRole('banner').getByRole('button', name === undefined ? { name: /^Project: / } : { name: `Project: ${name}`, exact: true });

/** Opens the project selector dialog "Projects" from the header. */
export async function openProjects(page: Page): Promise<Locator> {
  await (await visible(projectButton(page))).click();
  return visible(page.getByRole('dialog', { name: 'Projects' }));
}

/** Creates a project through the selector's "+ New project" and waits for the header to show it. */
export async function createProject(page: Page, name: string): Promise<void> {
  const dialog = await openProjects(page);
  await dialog.getByRole('button', { name: '+ New project' }).click();
  const form = await visible(page.getByRole('dialog', { name: 'New project' }));
  await form.getByRole('textbox', { name: 'Name' }).fill(name);
  await form.getByRole('button', { name: 'Create' }).click();
  await visible(projectButton(page, name));
}

/** Switches project through the selector and waits for the header to show it. */
export async function switchProject(page: Page, name: string): Promise<void> {
  const dialog = await openProjects(page);
  await dialog.getByRole('button', { name, exact: true }).click();
  await visible(projectButton(page, name));
}

/** The sidebar ("Main" navigation). */
export const sidebar = (page: Page) => page.getByRole('navigation', { name: 'Main' });

/** Picks `label` in a combobox: a native select, or a listbox of options. */
export async function choose(combobox: Locator, label: string): Promise<void> {
  const native = await combobox.evaluate((el: FocusableNode) => el.tagName === 'SELECT');
  if (native) {
    await combobox.selectOption({ label });
    return;
  }
  await combobox.click();
  await combobox.page().getByRole('option', { name: label }).click();
}

/**
 * Runs a search from the page's search form and waits for the API's answer and the render
 * after it, so a test may also assert what is not shown.
 */
export async function search(page: Page, query: string): Promise<Locator> {
  await page.getByRole('searchbox', { name: 'Search', exact: true }).fill(query);
  const answered = page.waitForResponse((r) => /\/api\/v1\/.*search/.test(new URL(r.url()).pathname), { timeout: STEP_MS });
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await answered;
  await settled(page);
  return page.getByRole('list', { name: 'Results' });
}

/** Two animation frames: whatever React renders for the last answer is on screen after them. */
export async function settled(page: Page): Promise<void> {
  await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null))))');
}
