export { type FakeDocument, fakeDocuments } from './fake-documents.ts';
export { isolate } from './isolate.ts';
export { MODEL_A, applyEachEvent, readLog } from './scenario.ts';
export { catchUpAll, startAll, stopAll, storesSnapshot } from './snapshot.ts';
export { createTestStores, newMasterKey } from './stores.ts';
