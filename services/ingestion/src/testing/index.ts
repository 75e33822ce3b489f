export { buildPdf } from './pdf-builder.ts';
export { buildDocx } from './zip-builder.ts';
