import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleHarness, browserPrerequisites, expectNoSeriousAxeViolations, settled, startConsole, visible } from './harness.ts';

const pre = browserPrerequisites();

// SINGLE_TENANT_MODE: one tenant, one project `default`, no authentication — and so no sign-in.
describe.skipIf(!pre)('the console in single-tenant mode', () => {
  let ui: ConsoleHarness;

  beforeAll(async () => {
    ui = await startConsole(pre!, { SINGLE_TENANT_MODE: 'true' });
  });
  afterAll(async () => {
    await ui?.stop();
  });

  it('opens the default project without a sign-in, and offers no sign-in or sign-out', async () => {
    const tab = await ui.open();
    const { page } = tab;
    await page.goto('/');
    await page.waitForURL(/\/projects\/default\/files$/);
    await visible(page.getByRole('heading', { name: 'Files', level: 1 }));
    await visible(page.getByRole('button', { name: /^Project: / }));
    // the single user administers the installation: the upload zone is offered
    await visible(page.getByLabel('Choose files'));
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    await settled(page);
    await expectNoSeriousAxeViolations(page);
    await tab.shot('default-project');

    await page.goto('/signin');
    await page.waitForURL(/\/projects\/default\/files$/);
    expect(await page.getByRole('heading', { name: 'Sign in' }).count()).toBe(0);
    await tab.close();
  });
});
