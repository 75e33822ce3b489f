export { entityService } from './service.ts';
export { type ProjectEntityCounts, entityCounts } from './browse/counts.ts';
