/**
 * Text decoding shared by sniffing and extraction. Text formats arrive without a declared
 * charset (the upload's Content-Type is not trusted), so the bytes decide: a UTF-16 byte-order
 * mark means UTF-16, anything else must be valid UTF-8. Legacy 8-bit encodings (Windows-1252,
 * Latin-1) are deliberately not guessed: a wrong guess silently corrupts names, which is worse
 * for entity extraction than a clear `unsupported`.
 */

const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

/** The decoded text without BOM, or `null` when the bytes are not valid UTF-8 / BOM-marked UTF-16. */
export function decodeText(bytes: Uint8Array): string | null {
  try {
    if (startsWith(bytes, [0xff, 0xfe])) return new TextDecoder('utf-16le', { fatal: true }).decode(bytes.subarray(2));
    if (startsWith(bytes, [0xfe, 0xff])) return new TextDecoder('utf-16be', { fatal: true }).decode(bytes.subarray(2));
    const body = startsWith(bytes, UTF8_BOM) ? bytes.subarray(3) : bytes;
    // ignoreBOM keeps a second, inner BOM as content instead of silently eating it
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    return null;
  }
}

/**
 * Share of characters that are control characters other than tab, newline, carriage return
 * and form feed. Binary data decoded as text is full of them; real text has next to none.
 */
export function controlCharRatio(text: string): number {
  if (text.length === 0) return 0;
  let control = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) || c === 0x7f) control++;
  }
  return control / text.length;
}

/** Unix newlines, no BOM, no NUL: the form every later stage (chunk spans, entity spans) indexes into. */
export function normaliseNewlines(text: string): string {
  return text
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
    .replace(/\u0000/g, '');
}
