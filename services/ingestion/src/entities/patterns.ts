import type { Mention } from './extract.ts';

/**
 * Structured mentions found by pattern: URLs, e-mail addresses, money amounts and phone
 * numbers. Each `normalised` value is a canonical form, so the same address or amount written
 * differently dedups to one entity: URLs as host (without `www.`) + path, e-mails lower-cased,
 * money as `EUR 1500000`, phones as `+<digits>` (international) or `<digits>` (national).
 */

const URL_RE = /\b(?:https?:\/\/|www\.)[^\s<>"'`]+/giu;
const EMAIL_RE = /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu;

function trimUrl(raw: string): string {
  let url = raw.replace(/[.,;:!?'"»”’]+$/u, '');
  // a closing bracket belongs to the URL only if the URL opened one ("…/Berlin_(Stadt)")
  for (const [open, close] of [
    ['(', ')'],
    ['[', ']'],
    ['{', '}'],
  ] as const) {
    while (url.endsWith(close) && url.split(open).length < url.split(close).length) url = url.slice(0, -1);
  }
  return url.replace(/[.,;:!?]+$/u, '');
}

function normaliseUrl(url: string): string {
  try {
    const parsed = new URL(/^https?:\/\//i.test(url) ? url : `http://${url}`);
    const host = parsed.hostname.toLowerCase().replace(/^www\./, '');
    const path = parsed.pathname === '/' ? '' : parsed.pathname.replace(/\/$/, '');
    return `${host}${path}${parsed.search}`;
  } catch {
    return url.toLowerCase();
  }
}

export function findUrls(text: string): Mention[] {
  return [...text.matchAll(URL_RE)].map((m) => {
    const name = trimUrl(m[0]);
    return { type: 'url' as const, name, normalised: normaliseUrl(name), start: m.index, end: m.index + name.length };
  });
}

export function findEmails(text: string): Mention[] {
  return [...text.matchAll(EMAIL_RE)].map((m) => {
    const name = m[0];
    return { type: 'email' as const, name, normalised: name.normalize('NFKC').toLowerCase(), start: m.index, end: m.index + name.length };
  });
}

// ---- money ----------------------------------------------------------------------------------

const CURRENCY_WORDS: readonly [RegExp, string][] = [
  [/^(?:€|eur|euros?)$/i, 'EUR'],
  [/^(?:\$|us\$|usd|us-dollars?|dollars?)$/i, 'USD'],
  [/^(?:£|gbp|pounds?|pfund)$/i, 'GBP'],
  [/^(?:chf|franken|swiss francs?)$/i, 'CHF'],
  [/^(?:¥|jpy|yen)$/i, 'JPY'],
];
const CODE = 'EUR|USD|GBP|CHF|JPY|CNY|RUB|AUD|CAD|SEK|NOK|DKK|PLN|CZK|HUF|TRY|INR|BRL|ZAR|HKD|SGD|AED';
const BEFORE = `US\\$|€|\\$|£|¥|(?:${CODE})(?=[\\s\\d])`;
const AFTER = `€|£|(?:${CODE}|Euros?|euros?|US-Dollars?|Dollars?|dollars?|Pfund|pounds?|Franken|Swiss francs?|Yen|yen)(?![\\p{L}])`;
const AMOUNT = `\\d{1,3}(?:[.,'’\\u00a0\\u202f]\\d{3})+(?:[.,]\\d{1,2})?|\\d+(?:[.,]\\d+)?`;
const SCALE =
  '(?:[ \\u00a0]?(?:millions?|Millionen|Million|Mio\\.?|mn|billions?|Billionen|bn|Mrd\\.?|Milliarden?|thousand|Tausend|Tsd\\.?)|(?:m|k|bn)(?![\\p{L}]))';

const MONEY_BEFORE = new RegExp(`(?<![\\p{L}\\d])(${BEFORE})[ \\u00a0]?(${AMOUNT})(${SCALE})?(?![\\p{L}\\d])`, 'gu');
const MONEY_AFTER = new RegExp(`(?<![\\p{L}\\d.,])(${AMOUNT})(${SCALE})?[ \\u00a0]?(${AFTER})`, 'gu');

function scaleFactor(raw: string | undefined): number {
  const s = (raw ?? '').trim().toLowerCase().replace(/\.$/, '');
  if (s === '') return 1;
  if (s === 'k' || s === 'thousand' || s === 'tausend' || s === 'tsd') return 1e3;
  if (s === 'm' || s === 'mn' || s === 'mio' || s.startsWith('million')) return 1e6;
  // German "Billionen" is 10^12; English "billion" is 10^9 (as is German "Milliarde")
  if (s === 'billionen') return 1e12;
  return 1e9;
}

/** Reads "1.500.000", "1,500,000", "1.500,50", "2.5", "1,5" the way the writer meant them. */
export function parseAmount(raw: string, scaled: boolean): number {
  const compact = raw.replace(/['’\u00a0\u202f]/g, '');
  const lastDot = compact.lastIndexOf('.');
  const lastComma = compact.lastIndexOf(',');
  let decimalSep: string | null = null;
  if (lastDot >= 0 && lastComma >= 0) decimalSep = lastDot > lastComma ? '.' : ',';
  else if (lastDot >= 0 || lastComma >= 0) {
    const sep = lastDot >= 0 ? '.' : ',';
    const count = compact.split(sep).length - 1;
    const decimals = compact.length - compact.lastIndexOf(sep) - 1;
    decimalSep = count === 1 && (decimals !== 3 || scaled) ? sep : null;
  }
  const thousands = decimalSep === '.' ? ',' : '.';
  const plain = compact.split(thousands).join('').replace(',', '.');
  return decimalSep === null ? Number(compact.replace(/[.,]/g, '')) : Number(plain);
}

function currencyCode(raw: string): string {
  const word = raw.trim();
  for (const [re, code] of CURRENCY_WORDS) if (re.test(word)) return code;
  return word.toUpperCase();
}

function formatAmount(value: number): string {
  const cents = Math.round(value * 100);
  return cents % 100 === 0 ? String(cents / 100) : (cents / 100).toFixed(2);
}

export function findMoney(text: string): Mention[] {
  const found: Mention[] = [];
  for (const m of text.matchAll(MONEY_BEFORE)) {
    const [name, currency = '', amount = '', scale] = m;
    const value = parseAmount(amount, scale !== undefined) * scaleFactor(scale);
    found.push({
      type: 'money',
      name,
      normalised: `${currencyCode(currency)} ${formatAmount(value)}`,
      start: m.index,
      end: m.index + name.length,
    });
  }
  for (const m of text.matchAll(MONEY_AFTER)) {
    const [name, amount = '', scale, currency = ''] = m;
    if (found.some((f) => m.index < f.end && f.start < m.index + name.length)) continue;
    const value = parseAmount(amount, scale !== undefined) * scaleFactor(scale);
    found.push({
      type: 'money',
      name,
      normalised: `${currencyCode(currency)} ${formatAmount(value)}`,
      start: m.index,
      end: m.index + name.length,
    });
  }
  return found;
}

// ---- phone numbers --------------------------------------------------------------------------

const INTERNATIONAL = /(?<![\p{L}\d+])(?:\+|00)[1-9][\d \u00a0()./-]{5,22}\d(?!\d)/gu;
const NATIONAL = /(?<![\p{L}\d+.,])(?:\(0\d{1,5}\)|0\d{1,5})(?:[ \u00a0/-]?\d{2,}){1,4}(?![\d.,]\d)/gu;
const NORTH_AMERICAN = /(?<![\p{L}\d+.,])\(?[2-9]\d{2}\)?[ .-]\d{3}[ .-]\d{4}(?!\d)/gu;

function digitsOf(s: string): string {
  return s.replace(/\(0\)/g, '').replace(/\D/g, '');
}

export function findPhones(text: string): Mention[] {
  const found: Mention[] = [];
  const add = (start: number, name: string, normalised: string): void => {
    if (found.some((f) => start < f.end && f.start < start + name.length)) return;
    found.push({ type: 'phone', name, normalised, start, end: start + name.length });
  };
  for (const m of text.matchAll(INTERNATIONAL)) {
    const name = m[0].replace(/[ \u00a0(./-]+$/, '');
    // separators may not repeat ("+49 -- 30"), parentheses only around a trunk or area code
    if (/[ ./-]{2,}/.test(name.replace(/\) /g, ')'))) continue;
    const digits = (name.startsWith('00') ? name.slice(2) : name).replace(/\(0\)/g, '').replace(/\D/g, '');
    if (digits.length >= 8 && digits.length <= 15) add(m.index, name, `+${digits}`);
  }
  for (const re of [NATIONAL, NORTH_AMERICAN]) {
    for (const m of text.matchAll(re)) {
      const digits = digitsOf(m[0]);
      if (digits.length >= 7 && digits.length <= 12) add(m.index, m[0], digits);
    }
  }
  return found;
}
