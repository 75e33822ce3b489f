/**
 * Why a document could not be turned into text. These are expected outcomes (the document
 * ends `failed` with the reason shown to the user), so each has a stable code and a message
 * written for the person who uploaded the file; `cause` keeps the library's own error for logs.
 */
export type ExtractionErrorCode =
  'extraction.unsupported_type' | 'extraction.corrupt' | 'extraction.encrypted' | 'extraction.empty' | 'extraction.too_large';

export class ExtractionError extends Error {
  override readonly name = 'ExtractionError';
  constructor(
    readonly code: ExtractionErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const unsupportedType = (): ExtractionError =>
  new ExtractionError(
    'extraction.unsupported_type',
    'This file type is not supported. Upload a PDF, Word (.docx), HTML, CSV, Markdown or plain-text file.',
  );

export const corrupt = (format: string, cause?: unknown): ExtractionError =>
  new ExtractionError('extraction.corrupt', `The ${format} file is damaged or incomplete and cannot be read.`, { cause });

export const encrypted = (format: string, cause?: unknown): ExtractionError =>
  new ExtractionError('extraction.encrypted', `The ${format} file is password-protected. Remove the password and upload it again.`, {
    cause,
  });

export const empty = (detail = 'The document contains no text.'): ExtractionError => new ExtractionError('extraction.empty', detail);

export const tooLarge = (format: string, limitBytes: number): ExtractionError =>
  new ExtractionError(
    'extraction.too_large',
    `The ${format} file expands to more than ${Math.round(limitBytes / 1024 / 1024)} MiB and is not processed.`,
  );
