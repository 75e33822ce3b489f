import type { Keyring, SealOptions } from './data-keys.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const aad = (context: string): Uint8Array => encoder.encode(`event/${context.toLowerCase()}`);

/**
 * Personal data inside event payloads: a JSON value sealed under a data key, as base64, bound to
 * `context` (the document id), so it cannot be moved to another event stream. The key is the
 * tenant's by default; a document's fields pass `{ scope: documentScope(id) }`, so deleting the
 * document (destroying that key) erases them. After its key is destroyed it never opens again
 * (`DataKeyDestroyedError`).
 */
export async function sealJson(
  keyring: Keyring,
  tenantId: string,
  context: string,
  value: unknown,
  options?: SealOptions,
): Promise<string> {
  const sealed = await keyring.encrypt(tenantId, encoder.encode(JSON.stringify(value)), aad(context), options);
  return Buffer.from(sealed).toString('base64');
}

/** Opens what `sealJson` sealed, whatever its scope (the sealed header names the key). */
export async function openJson(keyring: Keyring, tenantId: string, context: string, sealed: string): Promise<unknown> {
  const plain = await keyring.decrypt(tenantId, Buffer.from(sealed, 'base64'), aad(context));
  return JSON.parse(decoder.decode(plain));
}
