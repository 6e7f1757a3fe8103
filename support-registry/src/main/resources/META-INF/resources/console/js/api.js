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

async function request(method, path, body, accept = 'application/json', contentType = 'application/json') {
  const headers = { 'Accept': accept };
  const key = signedInKey();
  if (key) headers['Authorization'] = 'Bearer ' + key;
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = contentType;
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch('/api/v1' + path, { method, headers, body: payload, cache: 'no-store', credentials: 'omit' });
  } catch (e) {
    throw new ApiError(0, 'UNAVAILABLE', 'the registry cannot be reached: ' + e.message);
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
