import { type Dispatcher, util } from 'undici';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The whole answer body, decoded as UTF-8. */
  text: string;
}

export interface HttpCallOptions {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  headers?: Record<string, string>;
  body?: string;
  /** Bounds the wait for the answer's headers and, separately, for each pause in its body. */
  timeoutMs?: number;
}

/**
 * One HTTP exchange whose answer is read whole, on undici's dispatcher API. `request()` hands the
 * body over as a stream, which for small JSON answers costs about as much as the exchange itself:
 * measured here 65–69 µs of client CPU per call instead of 115–133 µs (keep-alive, 16 in flight).
 * Errors are undici's own (UND_ERR_HEADERS_TIMEOUT, ECONNREFUSED, …), as with `request()`.
 */
export function httpCall(dispatcher: Dispatcher, url: string, options: HttpCallOptions): Promise<HttpAnswer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let status = 0;
    let rawHeaders: Buffer[] = [];
    // The handler API undici 7 accepts on an Agent; its callbacks are typed as deprecated in favour of
    // one that Agent.dispatch does not take yet.
    const handler = {
      onConnect: () => undefined,
      onError: reject,
      onUpgrade: () => undefined,
      onHeaders: (statusCode: number, headers: Buffer[]) => {
        status = statusCode;
        rawHeaders = headers;
        return true;
      },
      onData: (chunk: Buffer) => {
        chunks.push(chunk);
        return true;
      },
      onComplete: () => {
        resolve({
          status,
          headers: util.parseHeaders(rawHeaders) as HttpAnswer['headers'],
          text: Buffer.concat(chunks).toString('utf8'),
        });
      },
    };
    dispatcher.dispatch(
      {
        origin: target.origin,
        path: target.pathname + target.search,
        method: options.method,
        headers: options.headers,
        body: options.body,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      },
      handler as unknown as Dispatcher.DispatchHandler,
    );
  });
}
