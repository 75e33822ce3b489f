import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConsoleHarness,
  STEP_MS,
  browserPrerequisites,
  choose,
  createProject,
  projectButton,
  search,
  sidebar,
  signIn,
  startConsole,
  switchProject,
  visible,
} from './harness.ts';

const pre = browserPrerequisites();

const FIRST = 'Offshore leaks';
const SECOND = 'Procurement review';
/** unique words in each project's data, so a search shows which project's data it reached */
/**
 * An upload's title: its file name when the console sends it as the title, else the first line
 * of its text (the platform's fallback); the test accepts either.
 */
const LEAK = {
  file: 'leak-memo.txt',
  title: 'Leak memo',
  text:
    'Leak memo\n\nThe shell company Orinoco Holdings paid Zanzibar Trading four million dollars in March. ' +
    'The payment went through a bank in Valletta and was approved by the finance director.',
};
const TENDER = {
  file: 'tender-notes.txt',
  title: 'Tender notes',
  text:
    'Tender notes\n\nThe city awarded the Quetzal bridge contract to Marlowe Construction without a public call. ' +
    'The evaluation committee met only once.',
};

const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const titled = (d: { file: string; title: string }) => `(?:${escaped(d.file)}|${escaped(d.title)})`;
const LEAK_NAME = new RegExp(`^${titled(LEAK)}$`);
const TENDER_NAME = new RegExp(`^${titled(TENDER)}$`);

/**
 * The journey of seed 000 (multi-project use): create two projects, switch, upload into one,
 * link into the other, search in each, the global view with its project badges, a chat answer
 * with a citation, and switching back to find the state as it was left. One test, step by step,
 * a screenshot of each step.
 */
describe.skipIf(!pre)('console journey: two projects, switching, linking, search, global view, chat', () => {
  let ui: ConsoleHarness;
  let user: { id: string; key: string };

  beforeAll(async () => {
    ui = await startConsole(pre!);
    const t = await ui.tenant('Journey');
    // a member of the tenant who owns no project yet: creating one makes them its admin
    user = await t.user('Ada Researcher');
  });
  afterAll(async () => {
    await ui?.stop();
  });

  it('walks the multi-project journey in the console', { timeout: 900_000 }, async () => {
    const { page, shot } = await ui.open();

    // sign in
    await signIn(page, user.key);
    await shot('signed-in');

    // 1. create two projects (with none yet, the spec is silent on the header: the selector or "+ New project" directly)
    if (!(await projectButton(page).count())) {
      await page.getByRole('button', { name: '+ New project' }).click();
      const form = await visible(page.getByRole('dialog', { name: 'New project' }));
      await form.getByRole('textbox', { name: 'Name' }).fill(FIRST);
      await form.getByRole('button', { name: 'Create' }).click();
      await visible(projectButton(page, FIRST));
    } else {
      await createProject(page, FIRST);
    }
    await shot('first-project-created');
    await createProject(page, SECOND);
    await shot('second-project-created');

    // 2. switch to the first
    await switchProject(page, FIRST);
    await visible(page.getByRole('heading', { name: 'Files' }));
    await page.waitForURL(/\/projects\/[^/]+\/files$/);
    const firstSlug = new URL(page.url()).pathname.split('/')[2]!;
    await shot('switched-to-first');

    // 3. upload into the first; the status becomes processed without a reload
    await page.getByLabel('Choose files').setInputFiles({ name: LEAK.file, mimeType: 'text/plain', buffer: Buffer.from(LEAK.text) });
    const documents = page.getByRole('table', { name: 'Documents' });
    await visible(documents.getByRole('row').filter({ hasText: new RegExp(titled(LEAK)) }));
    await shot('uploading');
    const leakRow = documents.getByRole('row').filter({ has: page.getByRole('link', { name: LEAK_NAME }) });
    await visible(leakRow.getByText(/processed/i), 180_000);
    await shot('uploaded-processed');

    // the second project's own data
    await switchProject(page, SECOND);
    await visible(page.getByRole('heading', { name: 'Files' }));
    // nothing of the first project's files here
    await visible(page.getByRole('table', { name: 'Documents' }));
    expect(await page.getByRole('link', { name: LEAK_NAME }).count()).toBe(0);
    await page.getByLabel('Choose files').setInputFiles({ name: TENDER.file, mimeType: 'text/plain', buffer: Buffer.from(TENDER.text) });
    const tenderRow = page
      .getByRole('table', { name: 'Documents' })
      .getByRole('row')
      .filter({ has: page.getByRole('link', { name: TENDER_NAME }) });
    await visible(tenderRow.getByText(/processed/i), 180_000);
    await shot('second-project-upload');

    // 4. link the first project's document into the second, from its detail page
    await switchProject(page, FIRST);
    await (await visible(page.getByRole('link', { name: LEAK_NAME }))).click();
    await visible(page.getByRole('heading', { name: LEAK_NAME }));
    await page.waitForURL(new RegExp(`/projects/${firstSlug}/files/[0-9a-f-]{36}$`));
    const leakId = new URL(page.url()).pathname.split('/').at(-1)!;
    await visible(page.getByRole('region', { name: 'Text' }).getByText('Orinoco Holdings', { exact: false }));
    await shot('document-detail');
    await page.getByRole('button', { name: '+ Link to project' }).click();
    const linkDialog = await visible(page.getByRole('dialog', { name: 'Link to project' }));
    await choose(linkDialog.getByRole('combobox', { name: 'Project' }), SECOND);
    await shot('link-dialog');
    await linkDialog.getByRole('button', { name: 'Link', exact: true }).click();
    await visible(page.getByText('Also in projects:'));
    await visible(page.getByRole('link', { name: SECOND, exact: true }));
    await shot('linked-into-second');

    // 5. search in each project: each finds its own data and the linked document, nothing else
    await sidebar(page).getByRole('link', { name: 'Search' }).click();
    await visible(page.getByRole('heading', { name: 'Search' }));
    let results = await search(page, 'Orinoco');
    await visible(results.getByRole('listitem').getByRole('link', { name: LEAK_NAME }));
    await visible(results.locator('mark'));
    await shot('search-first-own');
    results = await search(page, 'Quetzal');
    expect(await results.getByRole('link', { name: TENDER_NAME }).count(), 'the second project data found from the first').toBe(0);
    await shot('search-first-nothing-of-second');

    await switchProject(page, SECOND);
    await sidebar(page).getByRole('link', { name: 'Search' }).click();
    results = await search(page, 'Quetzal');
    await visible(results.getByRole('link', { name: TENDER_NAME }));
    results = await search(page, 'Orinoco');
    await visible(results.getByRole('link', { name: LEAK_NAME }));
    await shot('search-second-linked');

    // 6. the global view: another header, every project, a badge naming each hit's project
    const globalSwitch = sidebar(page).getByRole('switch', { name: 'Global view' });
    await globalSwitch.click();
    await page.waitForURL(/\/global\//);
    expect(await globalSwitch.getAttribute('aria-checked')).toBe('true');
    await visible(page.getByRole('banner').getByText('Viewing all projects'));
    expect((await page.getByRole('banner').getAttribute('class'))?.split(/\s+/)).toContain('global');
    await shot('global-view');
    if (!/\/global\/search/.test(page.url())) await sidebar(page).getByRole('link', { name: 'Search' }).click();
    results = await search(page, 'Quetzal');
    const tenderHit = results.getByRole('listitem').filter({ has: page.getByRole('link', { name: TENDER_NAME }) });
    await visible(tenderHit.getByText(SECOND, { exact: true }));
    results = await search(page, 'Orinoco');
    const leakHit = results.getByRole('listitem').filter({ has: page.getByRole('link', { name: LEAK_NAME }) });
    // linked into both: a badge for each
    await visible(leakHit.getByText(FIRST, { exact: true }));
    await visible(leakHit.getByText(SECOND, { exact: true }));
    await shot('global-search-badges');
    await sidebar(page).getByRole('link', { name: 'Files' }).click();
    const globalFiles = await visible(page.getByRole('table', { name: 'Documents' }));
    await visible(globalFiles.getByRole('columnheader', { name: 'Project' }));
    await visible(globalFiles.getByRole('link', { name: LEAK_NAME }));
    await visible(globalFiles.getByRole('link', { name: TENDER_NAME }));
    await shot('global-files');
    await globalSwitch.click();
    await page.waitForURL(/\/projects\//);
    expect(await globalSwitch.getAttribute('aria-checked')).toBe('false');

    // 7. chat in the first project: an answer with a citation that opens the cited passage
    await switchProject(page, FIRST);
    await sidebar(page).getByRole('link', { name: 'Chat' }).click();
    await visible(page.getByRole('heading', { name: 'Chat' }));
    await page.getByRole('button', { name: 'New conversation' }).click();
    // the new conversation opens at its own URL; a message typed before that would go to the page it replaces
    await page.waitForURL(new RegExp(`/projects/${firstSlug}/chat/[0-9a-f-]{36}$`));
    await page.getByRole('textbox', { name: 'Message' }).fill('Who paid Zanzibar Trading, and how much?');
    await page.getByRole('button', { name: 'Send' }).click();
    const log = page.getByRole('log');
    const citation = await visible(log.getByRole('link', { name: new RegExp(`^\\[\\d+\\] ${titled(LEAK)}$`) }), 120_000);
    await shot('chat-answer');
    expect(await citation.getAttribute('href')).toMatch(new RegExp(`^/projects/${firstSlug}/files/${leakId}\\?chunk=[0-9a-f-]{36}$`));
    await citation.click();
    await page.waitForURL(new RegExp(`/projects/${firstSlug}/files/${leakId}\\?chunk=`));
    await visible(page.getByRole('region', { name: 'Text' }).locator('mark'));
    await shot('cited-passage');

    // 8. leave the first project mid-search, work in the second, switch back: the state is restored
    await sidebar(page).getByRole('link', { name: 'Search' }).click();
    await search(page, 'Valletta');
    await shot('first-project-state');
    await switchProject(page, SECOND);
    await visible(page.getByRole('heading'));
    expect(new URL(page.url()).pathname.startsWith(`/projects/${firstSlug}/`)).toBe(false);
    await shot('in-second-project');
    await switchProject(page, FIRST);
    await page.waitForURL(new RegExp(`/projects/${firstSlug}/search`), { timeout: STEP_MS });
    await visible(page.getByRole('heading', { name: 'Search' }));
    expect(await page.getByRole('searchbox', { name: 'Search', exact: true }).inputValue()).toBe('Valletta');
    await shot('state-restored');
  });
});
