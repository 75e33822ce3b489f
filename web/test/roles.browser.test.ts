import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConsoleHarness,
  type TenantFixture,
  browserPrerequisites,
  openProjects,
  settled,
  sidebar,
  signIn,
  startConsole,
  visible,
} from './harness.ts';

const pre = browserPrerequisites();

const DOC = {
  title: 'Harbour audit',
  content:
    'The harbour authority of Rotterdam paid Meridian Shipping Ltd twelve thousand euros. Jan de Vries signed the transfer in Rotterdam.',
};

/**
 * What each role sees: controls a role may not use are not rendered; the auditor reads and
 * verifies the event log; an API refusal is an alert, never a blank page.
 */
describe.skipIf(!pre)('console roles', () => {
  let ui: ConsoleHarness;
  let t: TenantFixture;
  let project: { id: string; slug: string; name: string };
  let doc: { id: string };
  const users = {} as Record<'viewer' | 'editor', { id: string; key: string }>;

  beforeAll(async () => {
    ui = await startConsole(pre!);
    t = await ui.tenant('Roles');
    project = await t.project('Harbour');
    users.viewer = await t.user('Vera Viewer');
    users.editor = await t.user('Eddie Editor');
    await t.member(project.id, users.viewer.id, 'viewer');
    await t.member(project.id, users.editor.id, 'editor');
    doc = await t.document(project.id, DOC);
  });
  afterAll(async () => {
    await ui?.stop();
  });

  const files = () => `/projects/${project.slug}/files`;
  const detail = () => `/projects/${project.slug}/files/${doc.id}`;

  it('shows an editor the upload zone, link, unlink and delete (the controls the viewer must not see)', async () => {
    const { page, shot } = await ui.open();
    await signIn(page, users.editor.key);
    await page.goto(files());
    await visible(page.getByRole('heading', { name: 'Files' }));
    await visible(page.getByRole('region', { name: 'Upload files' }).getByLabel('Choose files'));
    await shot('editor-files');
    await page.goto(detail());
    await visible(page.getByRole('heading', { name: DOC.title }));
    await visible(page.getByRole('button', { name: '+ Link to project' }));
    await visible(page.getByRole('button', { name: 'Delete', exact: true }));
    await shot('editor-detail');
    // the delete asks first, and Cancel keeps the document
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    const confirm = await visible(page.getByRole('alertdialog', { name: 'Delete document?' }));
    await shot('editor-delete-confirm');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await visible(page.getByRole('heading', { name: DOC.title }));
    // so does the unlink, saying where the document stays
    await page.getByRole('button', { name: 'Unlink from this project' }).click();
    const unlink = await visible(page.getByRole('alertdialog', { name: 'Unlink from this project?' }));
    expect(await unlink.textContent()).toContain('its only project');
    await shot('editor-unlink-confirm');
    await unlink.getByRole('button', { name: 'Cancel' }).click();
    await visible(page.getByRole('heading', { name: DOC.title }));
    expect(await page.getByRole('alertdialog').count()).toBe(0);
  });

  it("keeps a tenant admin's project selector in order: current starred, search, pins that last, archived collapsed", async () => {
    await t.project('Lighthouse');
    const cold = await t.project('Cold case');
    await t.archive(cold.id);
    const { page, shot } = await ui.open();
    await signIn(page, t.admin);
    await page.goto(files());
    let dialog = await openProjects(page);
    const choice = (name: string) => dialog.getByRole('button', { name, exact: true });
    expect(await choice(project.name).getAttribute('aria-current')).toBe('true');
    expect(await choice('Lighthouse').getAttribute('aria-current')).toBeNull();
    // archived projects: counted, collapsed until asked for
    const archived = dialog.getByRole('button', { name: 'Archived (1)' });
    expect(await archived.getAttribute('aria-expanded')).toBe('false');
    expect(await choice('Cold case').isVisible()).toBe(false);
    await archived.click();
    await visible(choice('Cold case'));
    await shot('selector-archived-open');
    // the search box narrows the list
    await dialog.getByRole('searchbox', { name: 'Find a project' }).fill('light');
    await visible(choice('Lighthouse'));
    expect(await choice(project.name).count()).toBe(0);
    await dialog.getByRole('searchbox', { name: 'Find a project' }).fill('');
    // a pin puts the project in its own group, and stays after a reload
    await dialog.getByRole('button', { name: 'Pin Lighthouse' }).click();
    const pinned = () => dialog.getByRole('group', { name: 'Pinned' });
    await visible(pinned().getByRole('button', { name: 'Lighthouse', exact: true }));
    await page.reload();
    dialog = await openProjects(page);
    await visible(pinned().getByRole('button', { name: 'Lighthouse', exact: true }));
    expect(await pinned().getByRole('button', { name: project.name, exact: true }).count()).toBe(0);
    await shot('selector-pinned');
    await dialog.getByRole('button', { name: 'Unpin Lighthouse' }).click();
    expect(await dialog.getByRole('group', { name: 'Pinned' }).count()).toBe(0);
  });

  it('shows a viewer no upload, link, unlink, delete, merge or admin', async () => {
    const { page, shot } = await ui.open();
    await signIn(page, users.viewer.key);
    await page.goto(files());
    await visible(page.getByRole('heading', { name: 'Files' }));
    await visible(page.getByRole('table', { name: 'Documents' }).getByRole('link', { name: DOC.title }));
    expect(await page.getByRole('region', { name: 'Upload files' }).count()).toBe(0);
    expect(await page.getByLabel('Choose files').count()).toBe(0);
    expect(await sidebar(page).getByRole('link', { name: 'Admin' }).count()).toBe(0);
    await shot('viewer-files');

    await page.goto(detail());
    await visible(page.getByRole('heading', { name: DOC.title }));
    await visible(page.getByRole('region', { name: 'Text' }).getByText('Meridian Shipping', { exact: false }));
    for (const name of ['+ Link to project', 'Unlink from this project', 'Delete'])
      expect(await page.getByRole('button', { name, exact: true }).count(), name).toBe(0);
    await shot('viewer-detail');

    await page.goto(`/projects/${project.slug}/graph`);
    await visible(page.getByRole('heading', { name: 'Graph' }));
    const entity = await visible(page.getByRole('list', { name: 'Entities' }).getByRole('button'));
    await entity.click();
    const panel = await visible(page.getByRole('region', { name: 'Entity' }));
    await visible(panel.getByText(/Appears in \d+ of your investigations/));
    expect(await panel.getByRole('button', { name: 'Merge into…' }).count()).toBe(0);
    await shot('viewer-graph-entity');
  });

  it('lets the auditor read the event log and verify the chain', async () => {
    const { page, shot } = await ui.open();
    await signIn(page, await t.auditor());
    await visible(sidebar(page).getByRole('link', { name: 'Admin' }));
    await page.goto('/admin/events');
    await visible(page.getByRole('heading', { name: 'Event log' }));
    await shot('auditor-event-log');
    await page.getByRole('button', { name: 'Verify' }).click();
    await visible(page.getByRole('status').filter({ hasText: /verified/i }));
    expect(
      await page
        .getByRole('status')
        .filter({ hasText: /broken/i })
        .count(),
    ).toBe(0);
    await shot('auditor-verified');
  });

  it('shows an API refusal as an alert with its text, never a blank page', async () => {
    const { page, shot } = await ui.open();
    // a bad credential: the sign-in refusal (401) is an alert
    await page.goto('/signin');
    await page.getByRole('textbox', { name: 'API key or token' }).fill('mnd_not-a-real-key');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    const refused = await visible(page.getByRole('alert'));
    expect((await refused.innerText()).trim()).not.toBe('');
    await shot('signin-refused');

    // a viewer opening an admin page by its URL: the API refuses (403), the page says so
    await signIn(page, users.viewer.key);
    await page.goto('/admin/keys');
    const alert = await visible(page.getByRole('alert'));
    await settled(page);
    expect((await alert.innerText()).trim()).not.toBe('');
    expect((await page.locator('body').innerText()).trim()).not.toBe('');
    await shot('viewer-admin-refused');
  });
});
