import type { DocumentView } from './format.ts';

/** A document's processing status as a word (and why it failed), coloured by state. */
export function StatusBadge({ status, failure }: { status: DocumentView['status']; failure: string | null }) {
  return (
    <span className={`status status-${status}`}>
      {status}
      {status === 'failed' && failure ? <span className="failure">: {failure}</span> : null}
    </span>
  );
}
