export { projectDecider } from './project/decide.ts';
export { PROJECT_WRITES, type ProjectWrite, guardContentWrite, projectWrites, requireWritable } from './project/writes.ts';
export { projectService } from './service.ts';
export { type DocumentProjects, projectViews } from './views/projection.ts';
export {
  type CoverageReader,
  type ModelServing,
  type ServingMemo,
  type ServingOptions,
  type SettingsOverrides,
  chooseServing,
  modelFor,
  requiredModels,
  servingMemo,
  servingModel,
} from './settings/models.ts';
export { type ProjectSummary, projectDirectory, projectLookup, projectSummaries } from './views/directory.ts';
export type { DocumentCounts, EntityCounts } from './views/project-view.ts';
export { resolveProjectSlug } from './project/slugs.ts';
