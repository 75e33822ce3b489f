export { searchService } from './service.ts';
