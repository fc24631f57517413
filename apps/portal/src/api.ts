// The portal's one door to the scheduler: same-origin fetch with the session cookie, the CSRF token on
// every state change, and the contract's error shape turned into an exception the pages can show.

export interface Session {
  user: { username: string; role: 'viewer' | 'operator' | 'admin' };
  scopes: string[];
  csrfToken: string;
}

/** The contract's error details: where in the request, and what is wrong there. */
export interface FieldProblem {
  path: string;
  problem: string;
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: FieldProblem[],
  ) {
    super(message);
  }
}

let csrfToken: string | undefined;

/** Set from the session answer; sent as x-csrf-token on POST, PUT, PATCH and DELETE. */
export function useCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (STATE_CHANGING.has(method) && csrfToken) headers['x-csrf-token'] = csrfToken;
  const res = await fetch(`/api/v1${path}`, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  const json = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    const err = json?.error ?? {};
    throw new ApiFailure(
      res.status,
      err.code ?? 'HTTP_' + res.status,
      err.message ?? res.statusText,
      err.details ?? [],
    );
  }
  return json as T;
}

/** A query string from the defined, non-empty values. */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
