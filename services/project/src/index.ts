export { projectDecider } from './project/decide.ts';
export { PROJECT_WRITES, type ProjectWrite, guardContentWrite, projectWrites, requireWritable } from './project/writes.ts';
export { projectService } from './service.ts';
export { projectViews } from './views/projection.ts';
export {
  type CoverageReader,
  type ModelServing,
  type ServingOptions,
  type SettingsOverrides,
  chooseServing,
  modelFor,
  requiredModels,
  servingModel,
} from './settings/models.ts';
export { type ProjectSummary, projectDirectory, projectLookup, projectSummaries } from './views/directory.ts';
export type { DocumentCounts } from './views/project-view.ts';
export { resolveProjectSlug } from './project/slugs.ts';
