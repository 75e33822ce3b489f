import { ApiError } from '../api.ts';

/** What the API refused (or what broke), as a clear message: never a blank screen. */
export function ProblemAlert({ error }: { error: unknown }) {
  if (!error) return null;
  const title = error instanceof ApiError ? (error.problem.title ?? `Error ${error.status}`) : 'Something went wrong';
  const detail = error instanceof Error ? error.message : typeof error === 'string' ? error : '';
  return (
    <div role="alert" className="alert">
      <strong>{title}</strong>
      {detail && detail !== title ? <p>{detail}</p> : null}
    </div>
  );
}
