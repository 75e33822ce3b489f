import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './log.ts';

function capture(): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, log: createLogger({ level: 'debug', destination }) };
}

describe('log redaction', () => {
  const KEY = 'mk_live_0123456789abcdef0123456789abcdef';
  const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNlY3JldA';

  it('writes no credential or sealed personal field, at the top, one level down, or in headers', () => {
    const { lines, log } = capture();
    log.debug({ authorization: `Bearer ${KEY}`, token: JWT, api_key: KEY, cookie: `mandant_session=${JWT}` }, 'top');
    log.debug({ req: { headers: { authorization: `Bearer ${KEY}`, cookie: JWT, 'x-api-key': KEY } } }, 'request headers');
    log.debug({ headers: { authorization: `Bearer ${JWT}`, 'x-api-key': KEY, 'set-cookie': JWT } }, 'headers');
    log.debug({ created: { admin_api_key: KEY, secret: KEY }, user: { email: 'quill@sealed.example', display_name: 'Quill' } }, 'nested');
    log.debug({ event: { sealed: 'v1.sealed-blob' }, password: 'hunter2', input: { token: JWT, password: 'hunter2' } }, 'more');
    expect(lines).toHaveLength(5);
    for (const line of lines) {
      for (const secret of [KEY, JWT, 'quill@sealed.example', 'Quill', 'sealed-blob', 'hunter2']) expect(line).not.toContain(secret);
    }
    expect(lines.join('\n')).toContain('[Redacted]');
    // what is not secret is still written
    expect(JSON.parse(lines[1] ?? '{}')).toMatchObject({ msg: 'request headers' });
  });
});
