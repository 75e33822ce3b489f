import { findUnstorable } from '@mandant/contracts';
import { describe, expect, it } from 'vitest';
import { buildZip } from '../testing/zip-builder.ts';
import { extractText } from './extract.ts';

/** A DOCX whose XML carries character references as given (not escaped): what a hostile file holds. */
function rawDocx(titleXml: string, paragraphXml: string): Uint8Array {
  return buildZip([
    {
      name: '[Content_Types].xml',
      data: '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
    },
    {
      name: '_rels/.rels',
      data: '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
    },
    {
      name: 'word/document.xml',
      data: `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>${paragraphXml}</w:t></w:r></w:p></w:body></w:document>`,
    },
    {
      name: 'docProps/core.xml',
      data: `<?xml version="1.0" encoding="UTF-8"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>${titleXml}</dc:title></cp:coreProperties>`,
    },
  ]);
}

describe('extracted text is storable', () => {
  it("drops NULs and replaces lone surrogates that a document's character references produce", async () => {
    for (const ref of ['&#0;', '&#xD800;', '&#xDFFF;', '&#55296;']) {
      // refusing the file is fine too; what may not happen is text Postgres cannot store
      const result = await extractText(rawDocx(`Leak ${ref} report`, `Acme ${ref} paid`), 'docx').catch(() => null);
      if (result === null) continue;
      expect(findUnstorable(result)).toBeNull();
      expect(result.title).toMatch(/^Leak .*report$/);
    }
  });
});
