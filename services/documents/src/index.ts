export { type DocumentCommand, documentDecider } from './document/decide.ts';
export { type DocumentState } from './document/document.ts';
export { documentService, linkingService } from './service.ts';
export type { TenantLimits } from './document/quota.ts';
export { DOCUMENT_VIEWS, documentViews } from './views/projection.ts';
export { type Embedding, type Processed, evolveDocument, initialDocumentState } from './document/document.ts';
export {
  type DocumentSteps,
  documentAt,
  documentIdOf,
  documentStatesAt,
  documentsAt,
  evolveFromLog,
  foldDocument,
  readDocument,
} from './document/from-log.ts';
export { type DocumentSummary, documentCounts, documentSummaries, documentTotals } from './views/summaries.ts';
export { documentsLacking, documentsOfProject, processedDocuments, unfinishedDocuments } from './views/work.ts';
export { type EmbeddingCoverage, type ModelCoverage, embeddingCoverage } from './views/coverage.ts';
