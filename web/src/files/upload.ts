import type { Problem, Schema } from '@mandant/client';
import { API_BASE, ApiError, writeHeaders } from '../api.ts';

export type UploadView = Schema<'UploadView'>;

/**
 * What a refused upload says to the person who dropped the file: the reason in plain words
 * (too large, a type the platform does not read, too many at once) and the API's detail.
 */
export function describeRefusal(status: number, problem: Partial<Problem>, retryAfter: string | null): string {
  const detail = typeof problem.detail === 'string' && problem.detail ? problem.detail : null;
  const wait = retryAfter && /^\d+$/.test(retryAfter) ? ` Try again in ${retryAfter} s.` : ' Try again in a moment.';
  switch (status) {
    case 413:
      return `Too large${detail ? `: ${detail}` : ': the file is over the upload limit.'}`;
    case 415:
      return `Unsupported type${detail ? `: ${detail}` : ': the platform cannot read this kind of file.'}`;
    case 429:
      return `Rate limited: too many requests or uploads at once.${wait}`;
    case 403:
      return `Refused${detail ? `: ${detail}` : ': you may not upload here.'}`;
    case 408:
      return 'Timed out: the upload sent nothing for too long.';
    case 0:
      return 'The connection failed before the upload finished.';
    default:
      return `${problem.title ?? `Refused (${status})`}${detail && detail !== problem.title ? `: ${detail}` : ''}`;
  }
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
};

/** An upload refused by the API (or the network), with the sentence to show for it. */
export class UploadError extends ApiError {
  constructor(
    status: number,
    problem: Partial<Problem>,
    readonly reason: string,
  ) {
    super(status, problem);
  }
}

/**
 * Uploads one file into a project (multipart field `file`) with XMLHttpRequest, which reports
 * upload progress (fetch does not). The CSRF header goes with it, as with every write.
 */
export function uploadFile(
  project: string,
  file: File,
  onProgress: (loaded: number, total: number) => void,
  signal?: AbortSignal,
): Promise<UploadView> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${API_BASE}/projects/${encodeURIComponent(project)}/documents`);
    xhr.withCredentials = false; // same origin: the session cookie goes anyway
    for (const [name, value] of Object.entries(writeHeaders())) xhr.setRequestHeader(name, value);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      const body = parseJson(xhr.responseText);
      if (xhr.status >= 200 && xhr.status < 300 && body && typeof body === 'object' && typeof (body as UploadView).id === 'string') {
        onProgress(file.size, file.size);
        resolve(body as UploadView);
        return;
      }
      const problem = (body && typeof body === 'object' ? body : {}) as Partial<Problem>;
      reject(new UploadError(xhr.status, problem, describeRefusal(xhr.status, problem, xhr.getResponseHeader('retry-after'))));
    };
    xhr.onerror = () => reject(new UploadError(0, {}, describeRefusal(0, {}, null)));
    xhr.ontimeout = xhr.onerror;
    xhr.onabort = () => reject(new UploadError(0, { title: 'Cancelled' }, 'Cancelled.'));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    const form = new FormData();
    // the name the person knows the file by, as its title (processing would otherwise take the
    // text's first words); before the file part, as the server reads the fields as they come
    const title = file.name.trim();
    if (title && title.length <= 500) form.set('title', title);
    form.set('file', file, file.name);
    xhr.send(form);
  });
}
