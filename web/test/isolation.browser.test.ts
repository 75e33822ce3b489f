import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  type ConsoleHarness,
  browserPrerequisites,
  openProjects,
  search,
  settled,
  sidebar,
  signIn,
  startConsole,
  visible,
} from './harness.ts';

const pre = browserPrerequisites();

const SECRET = {
  project: 'Secret inquiry',
  title: 'Whistleblower statement',
  content: 'The whistleblower statement names Kestrel Dynamics and a payment routed through Gibraltar by Nadia Okafor.',
};

/**
 * Isolation as the console shows it: a user of another tenant, and a member of the same tenant
 * who is not in the project, see nothing of it: its URLs say not found, the selector does not
 * list it, and the global view's search and files show nothing of its documents.
 */
describe.skipIf(!pre)('console isolation', () => {
  let ui: ConsoleHarness;
  let secret: { id: string; slug: string };
  let doc: { id: string };
  const outsiders = {} as Record<'otherTenant' | 'nonMember', string>;

  beforeAll(async () => {
    ui = await startConsole(pre!);
    const a = await ui.tenant('Owner');
    const p = await a.project(SECRET.project);
    secret = { id: p.id, slug: p.slug };
    doc = await a.document(p.id, { title: SECRET.title, content: SECRET.content });
    // a member of the same tenant, in another project only
    const other = await a.project('Open desk');
    const nonMember = await a.user('Nico Nonmember');
    await a.member(other.id, nonMember.id, 'editor');
    await a.document(other.id, { title: 'Desk notes', content: 'Desk notes about the weekly planning of the newsroom.' });
    outsiders.nonMember = nonMember.key;
    // the admin of another tenant, which has a project of the same name
    const b = await ui.tenant('Rival');
    const rival = await b.project(SECRET.project);
    await b.document(rival.id, { title: 'Desk notes', content: 'Desk notes of the rival newsroom about its own planning.' });
    outsiders.otherTenant = b.admin;
  });
  afterAll(async () => {
    await ui?.stop();
  });

  async function expectNotFound(page: Page, path: string) {
    await page.goto(path);
    const alert = await visible(page.getByRole('alert').filter({ hasText: /not found/i }));
    await settled(page);
    expect(await alert.innerText()).not.toContain(SECRET.content.slice(0, 30));
    expect(await page.getByText('Kestrel', { exact: false }).count()).toBe(0);
  }

  for (const who of ['otherTenant', 'nonMember'] as const) {
    it(`shows ${who === 'otherTenant' ? 'a user of another tenant' : 'a tenant member outside the project'} nothing of it`, async () => {
      const { page, shot } = await ui.open();
      await signIn(page, outsiders[who]);
      await shot('signed-in');

      // its URLs, by slug and by id: a clear not-found
      await expectNotFound(page, `/projects/${secret.id}/files`);
      await shot('project-by-id-not-found');
      await expectNotFound(page, `/projects/${secret.id}/files/${doc.id}`);
      await shot('document-not-found');
      await expectNotFound(page, `/projects/${secret.id}/search`);
      if (who === 'nonMember') {
        // the slug is the tenant's: another tenant's same-named project has its own
        await expectNotFound(page, `/projects/${secret.slug}/files`);
        await expectNotFound(page, `/projects/${secret.slug}/files/${doc.id}`);
      }

      // the project selector does not list it
      await page.goto('/');
      const dialog = await openProjects(page);
      await settled(page);
      if (who === 'nonMember') expect(await dialog.getByRole('button', { name: SECRET.project, exact: true }).count()).toBe(0);
      await shot('selector');
      await page.keyboard.press('Escape');

      // the global view: search and files show nothing of its documents
      await page.goto('/global/search');
      await visible(page.getByRole('heading', { name: 'Search' }));
      expect(await sidebar(page).getByRole('switch', { name: 'Global view' }).getAttribute('aria-checked')).toBe('true');
      for (const query of ['Kestrel', 'whistleblower Gibraltar']) {
        const results = await search(page, query);
        expect(await results.getByRole('link', { name: SECRET.title }).count(), query).toBe(0);
        expect(await page.getByText('Kestrel Dynamics', { exact: false }).count(), query).toBe(0);
      }
      await shot('global-search-empty');
      await page.goto('/global/files');
      // the caller's own tenant's documents are listed: the list has loaded
      await visible(page.getByRole('table', { name: 'Documents' }).getByRole('link', { name: 'Desk notes' }));
      expect(await page.getByRole('link', { name: SECRET.title }).count()).toBe(0);
      await shot('global-files');
    });
  }
});
