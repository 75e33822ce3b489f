import type { Sql } from '@mandant/shared/db';
import type { Logger } from '@mandant/shared/log';
import { type ServiceProcessOptions, type ViewsWait, runServiceProcess, waitingForViews } from '@mandant/shared/service';
import { DOCUMENT_VIEWS } from '@mandant/documents';
import { MEMBERSHIP_VIEWS } from '@mandant/membership';
import { projectViews } from '@mandant/project';
import { tenantViews } from '@mandant/tenant';

/**
 * The relational read models every write waits for before it answers (read-your-writes): each
 * context's views, named as their projections are (`name@vN`, their checkpoints' key).
 */
export const VIEW_PROJECTORS: readonly string[] = [tenantViews, projectViews, MEMBERSHIP_VIEWS, DOCUMENT_VIEWS].map(
  (p) => `${p.name}@v${p.version}`,
);

/** The read-your-writes wait of a process of this platform. */
export const platformViewsWait = (sql: Sql, log: Logger): ViewsWait => waitingForViews(sql, log, VIEW_PROJECTORS);

/** Runs one service as its own process, its writes waiting for the platform's views. */
export function runContextProcess(
  name: string,
  build: Parameters<typeof runServiceProcess>[1],
  opts: Omit<ServiceProcessOptions, 'views'> = {},
): Promise<void> {
  return runServiceProcess(name, build, { ...opts, views: VIEW_PROJECTORS });
}
