import { describe, expect, it } from 'vitest';
import { buildPdf } from '../testing/pdf-builder.ts';
import { buildDocx, buildZip } from '../testing/zip-builder.ts';
import { sniff } from './sniff.ts';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('sniff', () => {
  it('detects a PDF by its %PDF- header', () => {
    expect(sniff(buildPdf({ pages: [['Hello']] }))).toEqual({ kind: 'pdf', contentType: 'application/pdf', ext: 'pdf' });
  });

  it('detects a PDF whose header follows some leading junk', () => {
    const pdf = buildPdf({ pages: [['Hello']] });
    expect(sniff(new Uint8Array([...utf8('junk from a mail gateway\n'), ...pdf])).kind).toBe('pdf');
  });

  it('detects a DOCX as a ZIP holding word/document.xml', () => {
    const docx = sniff(buildDocx(['Hallo']));
    expect(docx.kind).toBe('docx');
    expect(docx.ext).toBe('docx');
    expect(docx.contentType).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
  });

  it('still calls a DOCX with a cut-off central directory a DOCX, so extraction can say it is damaged', () => {
    const docx = buildDocx(['Hallo']);
    expect(sniff(docx.slice(0, docx.length - 40)).kind).toBe('docx');
  });

  it('calls any other ZIP (an XLSX, an archive) unsupported', () => {
    expect(sniff(buildZip([{ name: 'xl/workbook.xml', data: '<workbook/>' }])).kind).toBe('unsupported');
  });

  it('detects HTML from a doctype, an html tag or leading markup', () => {
    expect(sniff(utf8('<!DOCTYPE html><html><body><p>x</p></body></html>')).kind).toBe('html');
    expect(sniff(utf8('  <!-- saved page -->\n<html lang="de"><p>x</p></html>')).kind).toBe('html');
    expect(sniff(utf8('<div class="article"><p>Text</p></div>')).kind).toBe('html');
  });

  it('detects CSV when the first lines agree on a delimiter', () => {
    expect(sniff(utf8('name,company,amount\nAnna Schmidt,Siemens AG,5000\nJohn Doe,"Acme, Inc.",12\n')).kind).toBe('csv');
    expect(sniff(utf8('Name;Betrag\nAnna;5\nPeter;7\n')).kind).toBe('csv');
    expect(sniff(utf8('a\tb\tc\n1\t2\t3\n')).kind).toBe('csv');
  });

  it('detects Markdown from a heading, or from two kinds of markup', () => {
    expect(sniff(utf8('# Recherche\n\nNotizen zum Fall.')).kind).toBe('markdown');
    expect(sniff(utf8('Sources:\n- see [the filing](https://example.org/f)\n- **urgent**')).kind).toBe('markdown');
  });

  it('takes prose, even with a comma per line, as plain text', () => {
    expect(sniff(utf8('Dear Anna,\nthanks for the files.\n')).kind).toBe('text');
    expect(sniff(utf8('Ein einfacher Text über München.')).kind).toEqual('text');
  });

  it('calls an empty file plain text, so extraction can report it as empty', () => {
    expect(sniff(new Uint8Array(0)).kind).toBe('text');
  });

  it('reads UTF-16 text with a byte-order mark', () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Grüße aus Köln', 'utf16le')]);
    expect(sniff(new Uint8Array(le))).toEqual({ kind: 'text', contentType: 'text/plain', ext: 'txt' });
  });

  it('calls binary data unsupported, whatever name it came with', () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    expect(sniff(png).kind).toBe('unsupported');
    expect(sniff(new Uint8Array([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])).kind).toBe('unsupported');
    expect(sniff(new Uint8Array([0x66, 0x6f, 0xff, 0xfe, 0x6f])).kind).toBe('unsupported');
  });

  it('calls valid UTF-8 full of control characters unsupported', () => {
    expect(sniff(new Uint8Array(Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? 1 : 65)))).kind).toBe('unsupported');
  });
});
