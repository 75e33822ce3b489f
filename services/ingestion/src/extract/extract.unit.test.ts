import { describe, expect, it } from 'vitest';
import { buildPdf } from '../testing/pdf-builder.ts';
import { buildDocx, buildZip } from '../testing/zip-builder.ts';
import { ExtractionError, extractText, type ExtractionErrorCode } from './extract.ts';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

async function failure(promise: Promise<unknown>): Promise<{ code: ExtractionErrorCode; message: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ExtractionError);
  const { code, message } = error as ExtractionError;
  return { code, message };
}

describe('extractText: PDF', () => {
  it('returns the text of every page, the page count and the document title', async () => {
    const pdf = buildPdf({
      pages: [['Vertrag zwischen Anna Müller (Berlin)', 'und der Siemens AG.'], ['Zweite Seite: 1,5 Mio. Euro.']],
      title: 'Die Akte Müller',
    });
    const result = await extractText(pdf, 'pdf');
    expect(result).toEqual({
      text: 'Vertrag zwischen Anna Müller (Berlin)\nund der Siemens AG.\n\nZweite Seite: 1,5 Mio. Euro.',
      pages: 2,
      title: 'Die Akte Müller',
    });
  });

  it('reads a PDF encrypted with only an owner password', async () => {
    const pdf = buildPdf({ pages: [['Owner-locked text']], encrypt: { userPassword: '', ownerPassword: 'owner' } });
    expect((await extractText(pdf, 'pdf')).text).toBe('Owner-locked text');
  });

  it('fails as encrypted when the PDF needs a password to open', async () => {
    const pdf = buildPdf({ pages: [['Secret']], encrypt: { userPassword: 'user', ownerPassword: 'owner' } });
    const { code, message } = await failure(extractText(pdf, 'pdf'));
    expect(code).toBe('extraction.encrypted');
    expect(message).toMatch(/password-protected/);
  });

  it('fails as corrupt for a truncated PDF and for garbage after the header', async () => {
    const pdf = buildPdf({ pages: [['Hello']] });
    expect((await failure(extractText(pdf.slice(0, Math.floor(pdf.length / 2)), 'pdf'))).code).toBe('extraction.corrupt');
    expect((await failure(extractText(utf8('%PDF-1.7\nnothing to see here'), 'pdf'))).code).toBe('extraction.corrupt');
  });

  it('fails as empty, naming OCR, for a PDF without a text layer', async () => {
    const { code, message } = await failure(extractText(buildPdf({ pages: [[]] }), 'pdf'));
    expect(code).toBe('extraction.empty');
    expect(message).toMatch(/OCR/);
  });
});

describe('extractText: DOCX', () => {
  it('returns paragraphs separated by blank lines and the core-properties title', async () => {
    const docx = buildDocx(['Erster Absatz über die Beta GmbH.', 'Second paragraph <with> "markup" & more.'], {
      title: 'Bericht & Notizen',
    });
    expect(await extractText(docx, 'docx')).toEqual({
      text: 'Erster Absatz über die Beta GmbH.\n\nSecond paragraph <with> "markup" & more.',
      title: 'Bericht & Notizen',
    });
  });

  it('fails as corrupt when the ZIP is truncated or lacks the main document', async () => {
    const docx = buildDocx(['x']);
    expect((await failure(extractText(docx.slice(0, docx.length - 30), 'docx'))).code).toBe('extraction.corrupt');
    const bare = buildZip([{ name: 'word/other.xml', data: '<x/>' }]);
    expect((await failure(extractText(bare, 'docx'))).code).toBe('extraction.corrupt');
  });

  it('fails as corrupt when word/document.xml is not XML', async () => {
    const broken = buildZip([
      { name: '[Content_Types].xml', data: '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>' },
      { name: 'word/document.xml', data: 'this is not xml <<<' },
    ]);
    expect((await failure(extractText(broken, 'docx'))).code).toBe('extraction.corrupt');
  });

  it('refuses a package that declares more inflated bytes than the limit', async () => {
    const docx = buildDocx(['x'.repeat(50_000)]);
    const { code } = await failure(extractText(docx, 'docx', { maxUncompressedBytes: 10_000 }));
    expect(code).toBe('extraction.too_large');
  });

  it('fails as empty for a document without text', async () => {
    expect((await failure(extractText(buildDocx([]), 'docx'))).code).toBe('extraction.empty');
  });
});

describe('extractText: HTML', () => {
  const page = `<!DOCTYPE html><html><head><title>Leaks &amp; Lies</title>
    <style>p { color: red }</style><script>if (a < b) { document.write("<p>evil</p>") }</script></head>
    <body><h1>Headline</h1><p>First <b>bold</b> paragraph,
    spread over lines.</p><div><p>Nested</p></div><ul><li>one</li><li>two</li></ul>
    <table><tr><th>Name</th><th>Firma</th></tr><tr><td>Anna</td><td>Beta GmbH</td></tr></table>
    line<br>break<noscript>enable JS</noscript><pre>  keep
   this</pre></body></html>`;

  it('keeps the visible text with paragraph breaks and drops scripts and styles', async () => {
    const { text } = await extractText(utf8(page), 'html');
    expect(text).toBe(
      'Headline\n\nFirst bold paragraph, spread over lines.\n\nNested\n\none\ntwo\n\nName\tFirma\nAnna\tBeta GmbH\n\nline\nbreak\n\n  keep\n   this',
    );
    expect(text).not.toMatch(/evil|color|enable JS/);
  });

  it('takes the title from <title>, else from the first h1', async () => {
    expect((await extractText(utf8(page), 'html')).title).toBe('Leaks & Lies');
    expect((await extractText(utf8('<html><body><h1>Only a <i>heading</i></h1><p>x</p></body></html>'), 'html')).title).toBe(
      'Only a heading',
    );
  });

  it('fails as empty for a page with only scripts', async () => {
    expect((await failure(extractText(utf8('<html><script>x()</script></html>'), 'html'))).code).toBe('extraction.empty');
  });
});

describe('extractText: CSV, Markdown, plain text', () => {
  it('turns CSV rows into searchable "column: value" lines', async () => {
    const csv = 'Name,Firma,Betrag\r\n"Schmidt, Anna",Beta GmbH,"1.500 €"\r\nJohn Doe,,12\r\n"Multi\nLine",X,1\r\n';
    expect((await extractText(utf8(csv), 'csv')).text).toBe(
      'Name: Schmidt, Anna; Firma: Beta GmbH; Betrag: 1.500 €\nName: John Doe; Betrag: 12\nName: Multi Line; Firma: X; Betrag: 1',
    );
  });

  it('reads semicolon CSV and fails as empty without data rows', async () => {
    expect((await extractText(utf8('a;b\n1;2\n3;4'), 'csv')).text).toBe('a: 1; b: 2\na: 3; b: 4');
    expect((await failure(extractText(utf8('only,a,header\n'), 'csv'))).code).toBe('extraction.empty');
  });

  it('keeps Markdown as written, without BOM and with Unix newlines, titled by its first heading', async () => {
    const md = '\uFEFF# Fall Wirecard\r\n\r\nNotizen **wichtig**.\r\n';
    expect(await extractText(utf8(md), 'markdown')).toEqual({ text: '# Fall Wirecard\n\nNotizen **wichtig**.\n', title: 'Fall Wirecard' });
  });

  it('keeps plain text as written and fails as empty for whitespace only', async () => {
    expect(await extractText(utf8('Zeile 1\rZeile 2\n'), 'text')).toEqual({ text: 'Zeile 1\nZeile 2\n' });
    expect((await failure(extractText(utf8(' \n\t\n'), 'text'))).code).toBe('extraction.empty');
  });

  it('fails with a user-facing reason for an unsupported type', async () => {
    const { code, message } = await failure(extractText(new Uint8Array([1, 2, 3]), 'unsupported'));
    expect(code).toBe('extraction.unsupported_type');
    expect(message).toMatch(/PDF, Word/);
  });
});
