import type { Keyring } from './data-keys.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const aad = (context: string): Uint8Array => encoder.encode(`event/${context.toLowerCase()}`);

/**
 * Personal data inside event payloads: a JSON value sealed under the tenant's data key, as
 * base64, bound to `context` (the document id), so it cannot be moved to another event stream.
 * After the tenant's key is destroyed it never opens again (`DataKeyDestroyedError`).
 */
export async function sealJson(keyring: Keyring, tenantId: string, context: string, value: unknown): Promise<string> {
  const sealed = await keyring.encrypt(tenantId, encoder.encode(JSON.stringify(value)), aad(context));
  return Buffer.from(sealed).toString('base64');
}

export async function openJson(keyring: Keyring, tenantId: string, context: string, sealed: string): Promise<unknown> {
  const plain = await keyring.decrypt(tenantId, Buffer.from(sealed, 'base64'), aad(context));
  return JSON.parse(decoder.decode(plain));
}
