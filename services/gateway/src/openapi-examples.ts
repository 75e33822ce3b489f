/**
 * Examples of request bodies in the OpenAPI document, by route name. The document's lint checks
 * each one against its schema, so an example that drifts from the contracts fails the build.
 */
export const requestExamples: Record<string, Record<string, { summary: string; value: unknown }>> = {
  provisionTenant: {
    newsroom: { summary: 'A tenant with default settings', value: { name: 'Daily Ledger newsroom', slug: 'daily-ledger' } },
  },
  createApiKey: {
    user: { summary: 'A key acting as a user', value: { name: 'ingest bot', user_id: '0193a1f2-5b7c-7d3e-8f00-1a2b3c4d5e6f' } },
    role: { summary: 'A tenant-level auditor key', value: { name: 'external audit', role: 'auditor' } },
  },
  createUser: { user: { summary: 'A user', value: { email: 'maria@ledger.example', name: 'Maria' } } },
  createProject: {
    project: {
      summary: 'A project; the slug is derived from the name',
      value: { name: 'Offshore leaks', description: 'Shell companies in the 2026 leak' },
    },
  },
  putMember: { editor: { summary: 'Make the user an editor', value: { role: 'editor' } } },
  switchProject: {
    switch: {
      summary: 'Switch, saving the state of the project left',
      value: { project_id: '0193a1f2-5b7c-7d3e-8f00-1a2b3c4d5e6f', save_state: { tab: 'graph' } },
    },
  },
  uploadProjectDocument: {
    inline: {
      summary: 'Text given inline',
      value: { title: 'Wire memo', content: 'Acme Holdings wired funds to Maria Gonzalez in Panama.' },
    },
  },
  linkDocuments: {
    link: {
      summary: 'Link two documents',
      value: { document_ids: ['0193a1f2-5b7c-7d3e-8f00-1a2b3c4d5e6f', '0193a1f2-5b7c-7d3e-8f00-1a2b3c4d5e70'] },
    },
  },
  searchProject: {
    hybrid: {
      summary: 'Hybrid search with a filter',
      value: { query: 'Acme wire transfer', filters: { entity: 'Maria Gonzalez' }, limit: 5 },
    },
  },
  postMessage: { ask: { summary: 'A question, answered whole', value: { content: 'Who paid Maria Gonzalez?' } } },
};
