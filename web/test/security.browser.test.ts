import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConsoleHarness,
  type TenantFixture,
  browserPrerequisites,
  search,
  settled,
  sidebar,
  signIn,
  startConsole,
  visible,
} from './harness.ts';

const pre = browserPrerequisites();

const HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>';
const DOC = {
  title: `Payload ${HOSTILE}`,
  content: `Quarterly memo about Brightwater Logistics. The supplier wrote: ${HOSTILE} and nothing else. Brightwater Logistics replied.`,
};

/** The directives of a Content-Security-Policy header, by name. */
function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...values]) => [name!.toLowerCase(), values]),
  );
}

describe.skipIf(!pre)('console security', () => {
  let ui: ConsoleHarness;
  let t: TenantFixture;
  let project: { id: string; slug: string };
  let doc: { id: string };
  let editor: { id: string; key: string };

  beforeAll(async () => {
    ui = await startConsole(pre!);
    t = await ui.tenant('Security');
    project = await t.project('Payloads');
    editor = await t.user('Eve Editor');
    await t.member(project.id, editor.id, 'editor');
    doc = await t.document(project.id, DOC);
  });
  afterAll(async () => {
    await ui?.stop();
  });

  it('serves the console under a CSP without inline scripts, on / and on every app route', async () => {
    const { context } = await ui.open();
    for (const path of ['/', '/signin', `/projects/${project.slug}/files`, '/admin/members']) {
      const res = await context.request.get(path);
      expect(res.status(), path).toBe(200);
      const csp = res.headers()['content-security-policy'];
      expect(csp, `${path} has a Content-Security-Policy`).toBeTruthy();
      const d = directives(csp!);
      const scripts = d.get('script-src') ?? d.get('default-src');
      expect(scripts, `${path}: script-src or default-src`).toBeDefined();
      expect(scripts, path).not.toContain("'unsafe-inline'");
      expect(scripts, path).not.toContain("'unsafe-eval'");
      expect(scripts, path).not.toContain('*');
      // index.html itself holds no inline script the policy would have to allow
      const html = await res.text();
      expect(html, path).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    }
  });

  it('renders document text and titles as text: the markup shows as characters and nothing runs', async () => {
    const { page, shot } = await ui.open();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await signIn(page, editor.key);

    await page.goto(`/projects/${project.slug}/files`);
    const row = await visible(page.getByRole('table', { name: 'Documents' }).getByRole('link', { name: DOC.title }));
    await shot('files-with-hostile-title');
    await row.click();
    await page.waitForURL(new RegExp(`/files/${doc.id}$`));
    await visible(page.getByRole('heading', { name: DOC.title }));
    const text = await visible(page.getByRole('region', { name: 'Text' }));
    await visible(text.getByText(HOSTILE, { exact: false }));
    expect(await text.locator('script, img').count()).toBe(0);
    expect(await page.locator('img[src="x"], img[src$="/x"]').count()).toBe(0);
    await shot('detail-as-text');

    await page.goto(`/projects/${project.slug}/search`);
    const results = await search(page, 'Brightwater supplier');
    await visible(results.getByRole('listitem'));
    expect(await results.locator('script, img').count()).toBe(0);
    await shot('search-as-text');

    await settled(page);
    expect(dialogs).toEqual([]);
    expect(await page.evaluate('typeof window.__pwned')).toBe('undefined');
  });

  it('goes back to sign-in saying the session ended when a call is answered 401', async () => {
    const { page, context, shot } = await ui.open();
    await signIn(page, editor.key);
    await page.goto(`/projects/${project.slug}/files`);
    await visible(page.getByRole('heading', { name: 'Files' }));
    // the cookie gone (expired, or its key revoked): the next call the console makes is refused
    await context.clearCookies();
    await sidebar(page).getByRole('link', { name: 'Chat' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/signin'));
    await visible(page.getByText('Your session ended'));
    await visible(page.getByRole('textbox', { name: 'API key or token' }));
    await shot('session-ended');
  });

  it('keeps the credential out of storage and the session cookie out of scripts', async () => {
    const { page, context, shot } = await ui.open();
    await signIn(page, editor.key);
    // a few pages, so whatever the console stores on the way is there
    for (const p of ['files', 'search', 'chat']) {
      await page.goto(`/projects/${project.slug}/${p}`);
      await visible(page.getByRole('heading', { name: p[0]!.toUpperCase() + p.slice(1) }));
    }
    await shot('signed-in');

    const cookie = (await context.cookies()).find((c) => c.name === 'mandant_session');
    expect(cookie, 'the session cookie').toBeDefined();
    expect(cookie!.httpOnly).toBe(true);
    expect(cookie!.sameSite).toBe('Strict');
    expect(cookie!.path).toBe('/');
    expect(await page.evaluate('document.cookie')).not.toContain('mandant_session');

    const session = await page.evaluate<{ csrf_token: string | null }>(
      'fetch("/api/v1/session", { credentials: "same-origin" }).then((r) => r.json())',
    );
    const secrets = [editor.key, cookie!.value, session.csrf_token].filter((s): s is string => Boolean(s));
    const stored = await page.evaluate<string>(
      'JSON.stringify({ local: Object.entries(localStorage), session: Object.entries(sessionStorage) })',
    );
    for (const secret of secrets) expect(stored.includes(secret), 'a credential in web storage').toBe(false);
    // nor any API key or bearer token shape
    expect(stored).not.toMatch(/mnd_[A-Za-z0-9_-]{8,}/);
    expect(stored).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
  });
});
