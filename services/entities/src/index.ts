export { entityService } from './service.ts';
