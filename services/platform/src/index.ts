/** @mandant/platform: the all-in-one composition (`npm start`); its CLI and stack launcher are run by path. */
export {
  type Platform,
  type PlatformDeps,
  type RunningServices,
  allProjections,
  allServices,
  embedderRegistry,
  runServices,
  startPlatform,
} from './platform.ts';
export { exportTenantLog } from './audit/export.ts';
export { type LogReport, verifyFile } from './audit/verify.ts';
