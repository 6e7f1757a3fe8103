// The registry's REST API with the signed-in key. The key lives in sessionStorage (this browser tab's session
// only): it is sent as an Authorization header, never put in a URL, and never logged.

const KEY = 'affect-console-key';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function signedInKey() {
  return sessionStorage.getItem(KEY);
}

export function signIn(key) {
  sessionStorage.setItem(KEY, key);
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}

const WRITES = new Set(['POST', 'PATCH', 'DELETE']);
const WRITE_ATTEMPTS = 3;

/** A fresh idempotency key (crypto.randomUUID needs a secure context; getRandomValues does not). */
function newRequestId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('');
}

// A write carries an Idempotency-Key; when its outcome is unknown (no answer, 503, 504) it is sent again with the
// same key, and the registry answers the first outcome instead of applying the change twice.
async function request(method, path, body, accept = 'application/json', contentType = 'application/json') {
  const headers = { 'Accept': accept };
  const key = signedInKey();
  if (key) headers['Authorization'] = 'Bearer ' + key;
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = contentType;
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const retryable = WRITES.has(method) && contentType === 'application/json';
  if (retryable) headers['Idempotency-Key'] = newRequestId();
  let response;
  for (let attempt = 1; ; attempt++) {
    try {
      response = await fetch('/api/v1' + path, { method, headers, body: payload, cache: 'no-store', credentials: 'omit' });
    } catch (e) {
      if (retryable && attempt < WRITE_ATTEMPTS) {
        await new Promise(resolve => setTimeout(resolve, 250 * attempt));
        continue;
      }
      throw new ApiError(0, 'UNAVAILABLE', 'the registry cannot be reached: ' + e.message);
    }
    if (!(retryable && attempt < WRITE_ATTEMPTS && (response.status === 503 || response.status === 504))) break;
    await new Promise(resolve => setTimeout(resolve, 250 * attempt));
  }
  if (!response.ok) {
    let code = 'HTTP_' + response.status;
    let message = response.statusText || 'request failed';
    try {
      const error = await response.json();
      code = error.code || code;
      message = error.message || message;
    } catch (ignored) { /* not a JSON error body */ }
    throw new ApiError(response.status, code, message);
  }
  return response;
}

export async function call(method, path, body) {
  const response = await request(method, path, body);
  const text = await response.text();
  return text ? JSON.parse(text) : {};
}

/** POSTs newline-delimited JSON (an evaluation upload; empty: evaluate the supports). */
export async function callNdjson(path, lines) {
  const response = await request('POST', path, lines, 'application/json', 'application/x-ndjson');
  return response.json();
}

/** A support's original image as a blob (fetched with the key, so it cannot be an <img src>). */
export async function supportImage(taxonomy, id) {
  const response = await request('GET', `/taxonomies/${encodeURIComponent(taxonomy)}/supports/${encodeURIComponent(id)}/image`,
    undefined, 'image/*');
  return response.blob();
}

export const enc = encodeURIComponent;

/** Base64 of an ArrayBuffer, for the JSON image field (protobuf bytes). */
export function base64(buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** The message for a failed call, with its code: what the API said, never a stack. */
export function describe(error) {
  return error instanceof ApiError ? `${error.code}: ${error.message}` : String(error && error.message || error);
}
