import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  type ConsoleHarness,
  type TenantFixture,
  browserPrerequisites,
  expectNoSeriousAxeViolations,
  projectButton,
  search,
  sidebar,
  signIn,
  startConsole,
  tabTo,
  visible,
} from './harness.ts';

const pre = browserPrerequisites();

const DOC = {
  title: 'Port authority minutes',
  content:
    'Minutes of the port authority. Helena Varga of Northwind Freight Ltd met the harbour master in Hamburg. ' +
    'Northwind Freight Ltd paid Baltic Pilots forty thousand euros for berth priority in Hamburg.',
};

/**
 * Accessibility of every console page: axe-core finds no serious or critical violation (under
 * the page's real CSP), and the main controls are reachable with the keyboard alone.
 */
describe.skipIf(!pre)('console accessibility', () => {
  let ui: ConsoleHarness;
  let t: TenantFixture;
  let project: { id: string; slug: string; name: string };
  let doc: { id: string };
  let researcher: { id: string; key: string };

  beforeAll(async () => {
    ui = await startConsole(pre!);
    t = await ui.tenant('Access');
    project = await t.project('Harbour files');
    researcher = await t.user('Rita Researcher');
    await t.member(project.id, researcher.id, 'admin');
    doc = await t.document(project.id, DOC);
  });
  afterAll(async () => {
    await ui?.stop();
  });

  /** Opens `path`, waits for its heading, and runs axe. */
  async function check(page: Page, path: string, heading: string, shot: (n: string) => Promise<void>) {
    await page.goto(path);
    await visible(page.getByRole('heading', { name: heading, exact: true }));
    await shot(heading);
    await expectNoSeriousAxeViolations(page, path);
  }

  it('has no serious or critical axe violations on the sign-in page', async () => {
    const { page, shot } = await ui.open();
    await check(page, '/signin', 'Sign in', shot);
  });

  it('has no serious or critical axe violations on the project pages', async () => {
    const { page, shot } = await ui.open();
    await signIn(page, researcher.key);
    const base = `/projects/${project.slug}`;
    await check(page, `${base}/files`, 'Files', shot);
    await visible(page.getByRole('table', { name: 'Documents' }).getByRole('link', { name: DOC.title }));
    await expectNoSeriousAxeViolations(page, 'files with a document');
    await check(page, `${base}/files/${doc.id}`, DOC.title, shot);
    await check(page, `${base}/search`, 'Search', shot);
    await search(page, 'Northwind');
    await visible(page.getByRole('list', { name: 'Results' }).getByRole('listitem'));
    await expectNoSeriousAxeViolations(page, 'search with results');
    await check(page, `${base}/graph`, 'Graph', shot);
    const entity = await visible(page.getByRole('list', { name: 'Entities' }).getByRole('button'));
    await entity.click();
    await visible(page.getByRole('region', { name: 'Entity' }));
    await expectNoSeriousAxeViolations(page, 'graph with an entity selected');
    await check(page, `${base}/chat`, 'Chat', shot);
    // the project selector and its dialogs
    await (await visible(projectButton(page))).click();
    await visible(page.getByRole('dialog', { name: 'Projects' }));
    await expectNoSeriousAxeViolations(page, 'project selector');
  });

  it('has no serious or critical axe violations in the global view', async () => {
    const { page, shot } = await ui.open();
    await signIn(page, researcher.key);
    await check(page, '/global/files', 'Files', shot);
    await check(page, '/global/search', 'Search', shot);
    await check(page, '/global/graph', 'Graph', shot);
    await check(page, '/global/chat', 'Chat', shot);
  });

  it('has no serious or critical axe violations on the admin pages', async () => {
    const { page, shot } = await ui.open();
    await signIn(page, t.admin);
    await check(page, '/admin/members', 'Members', shot);
    await check(page, '/admin/keys', 'API keys', shot);
    await check(page, '/admin/settings', 'Settings', shot);
    await check(page, '/admin/monitoring', 'Monitoring', shot);
    await check(page, '/admin/events', 'Event log', shot);
  });

  it('reaches the main controls with the keyboard', async () => {
    const { page } = await ui.open();
    await page.goto('/signin');
    await tabTo(page, page.getByRole('textbox', { name: 'API key or token' }));
    await page.keyboard.type(researcher.key);
    await tabTo(page, page.getByRole('button', { name: 'Sign in', exact: true }));
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => !url.pathname.startsWith('/signin'));

    await page.goto(`/projects/${project.slug}/files`);
    await visible(page.getByRole('heading', { name: 'Files' }));
    for (const target of [
      projectButton(page),
      sidebar(page).getByRole('link', { name: 'Files' }),
      sidebar(page).getByRole('link', { name: 'Search' }),
      sidebar(page).getByRole('link', { name: 'Graph' }),
      sidebar(page).getByRole('link', { name: 'Chat' }),
      sidebar(page).getByRole('switch', { name: 'Global view' }),
      page.getByLabel('Choose files'),
      page.getByRole('table', { name: 'Documents' }).getByRole('link', { name: DOC.title }),
      page.getByRole('button', { name: 'Sign out' }),
    ])
      await tabTo(page, target);

    // the project selector opens from the keyboard
    await tabTo(page, projectButton(page));
    await page.keyboard.press('Enter');
    await visible(page.getByRole('dialog', { name: 'Projects' }));
    await page.keyboard.press('Escape');

    // search from the keyboard alone
    await page.goto(`/projects/${project.slug}/search`);
    await visible(page.getByRole('heading', { name: 'Search' }));
    await tabTo(page, page.getByRole('searchbox', { name: 'Search', exact: true }));
    await page.keyboard.type('Northwind');
    await page.keyboard.press('Enter');
    const hit = await visible(page.getByRole('list', { name: 'Results' }).getByRole('link', { name: DOC.title }));
    await tabTo(page, page.getByRole('list', { name: 'Results' }).getByRole('link', { name: DOC.title }));
    await page.keyboard.press('Enter');
    await visible(page.getByRole('heading', { name: DOC.title }));
    expect(await hit.count()).toBe(0);
  });
});
