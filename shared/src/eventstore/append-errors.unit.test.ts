import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppendRejectedError, appendRejection } from './append-errors.ts';

const pgError = (code: string) => Object.assign(new Error('refused'), { code });

describe('appendRejection', () => {
  it("types what an append's data can cause, each with the code the gateway maps", () => {
    expect(appendRejection(pgError('22P05'))).toMatchObject({ code: 'validation.failed', sqlstate: '22P05' });
    expect(appendRejection(pgError('22P02'))).toMatchObject({ code: 'validation.failed' });
    expect(appendRejection(pgError('22009'))).toMatchObject({ code: 'validation.failed' });
    expect(appendRejection(pgError('23502'))).toMatchObject({ code: 'validation.failed' });
    expect(appendRejection(pgError('23514'))).toMatchObject({ code: 'validation.failed' });
    expect(appendRejection(pgError('23505'))).toMatchObject({ code: 'conflict' });
    expect(appendRejection(pgError('54000'))).toMatchObject({ code: 'validation.failed' });
    expect(appendRejection(pgError('MD003'))).toMatchObject({ code: 'not_found', message: 'tenant not found' });
    expect(appendRejection(pgError('22P05'))).toBeInstanceOf(AppendRejectedError);
  });

  it('leaves infrastructure failures untyped, so a group fails with them as it is', () => {
    for (const code of ['08006', '53300', '57P01', '40001', 'XX000', '42501', 'CONNECTION_CLOSED', 'ECONNRESET']) {
      expect(appendRejection(pgError(code)), code).toBeNull();
    }
    for (const err of [new Error('x'), null, undefined, 'text', { code: 22 }]) expect(appendRejection(err)).toBeNull();
  });

  it("never repeats the database's message, which may quote the refused value", () => {
    fc.assert(
      fc.property(fc.constantFrom('22', '23', '54'), fc.string({ minLength: 3, maxLength: 3 }), fc.string(), (cls, rest, value) => {
        const err = Object.assign(new Error(`invalid input syntax: "${value}"`), { code: cls + rest });
        const typed = appendRejection(err);
        expect(typed).toBeInstanceOf(AppendRejectedError);
        expect(typed?.message).not.toContain(err.message);
        expect(JSON.stringify(typed?.details)).not.toContain('invalid input syntax');
      }),
      { seed: Number(process.env.FC_SEED ?? 20261202), numRuns: 200 },
    );
  });
});
