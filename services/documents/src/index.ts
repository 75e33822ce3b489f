export { type DocumentCommand, documentDecider } from './document/decide.ts';
export { type DocumentState } from './document/document.ts';
export { documentService, linkingService } from './service.ts';
export { documentViews } from './views/projection.ts';
