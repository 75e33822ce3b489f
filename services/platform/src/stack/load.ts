import { randomUUID } from 'node:crypto';

/**
 * The client side of the proof suite: requests spread over every gateway, and a POST retried
 * with its Idempotency-Key after whatever a dying process does to it (connection reset, 5xx,
 * timeout, "in progress") until it gets a final answer, as an API client following the
 * contract would. What came back is kept, so the suite can check afterwards that everything
 * accepted is there once.
 */
export interface Answer {
  status: number;
  body: any;
  replayed: boolean;
  /** attempts it took (1: the first answer was final) */
  attempts: number;
}

export interface Client {
  call(method: string, path: string, o?: { token?: string; body?: unknown; key?: string; deadlineMs?: number }): Promise<Answer>;
  /** calls answered by each gateway, and attempts that failed at the transport */
  readonly stats: { answered: number[]; transportErrors: number; retried: number };
}

const problemType = (body: any): string => (typeof body?.type === 'string' ? body.type : '');
const retryable = (a: { status: number; body: any }): boolean =>
  a.status >= 500 || a.status === 429 || (a.status === 409 && problemType(a.body).endsWith('idempotency-in-progress'));

export function createClient(gateways: string[], defaultToken: string): Client {
  const stats = { answered: gateways.map(() => 0), transportErrors: 0, retried: 0 };
  let turn = 0;
  return {
    stats,
    async call(method, path, o = {}) {
      const deadline = Date.now() + (o.deadlineMs ?? 120_000);
      // a POST without a key of the caller's own still gets one: every write here may be retried
      const key = method === 'POST' ? (o.key ?? randomUUID()) : undefined;
      for (let attempt = 1; ; attempt++) {
        const g = turn++ % gateways.length;
        let answer: Answer | null = null;
        try {
          const res = await fetch(`${gateways[g]}${path}`, {
            method,
            headers: {
              authorization: `Bearer ${o.token ?? defaultToken}`,
              ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
              ...(key ? { 'idempotency-key': key } : {}),
            },
            body: o.body !== undefined ? JSON.stringify(o.body) : undefined,
            signal: AbortSignal.timeout(30_000),
          });
          const text = await res.text();
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : null;
          } catch {
            // not JSON: kept as text
          }
          answer = { status: res.status, body, replayed: res.headers.get('idempotent-replayed') === 'true', attempts: attempt };
          stats.answered[g] = (stats.answered[g] ?? 0) + 1;
        } catch {
          stats.transportErrors++;
        }
        if (answer && !retryable(answer)) return answer;
        if (Date.now() > deadline) {
          if (answer) return answer;
          throw new Error(`${method} ${path}: no answer from any gateway before the deadline`);
        }
        stats.retried++;
        await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 100 * attempt)));
      }
    },
  };
}
