// Bounded HTTP/1.1 client for device descriptions and SOAP: size and time limits, http: only.
import { request } from 'node:http';
import { abortError } from '../abort.js';
import { PortMappingError } from '../errors.js';

export interface BoundedRequest {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  maxBytes: number;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

export interface BoundedResponse {
  status: number;
  body: string;
}

export function boundedHttp(req: BoundedRequest): Promise<BoundedResponse> {
  return new Promise((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return reject(new PortMappingError('http', `not a URL: ${req.url.slice(0, 100)}`));
    }
    if (url.protocol !== 'http:')
      return reject(new PortMappingError('http', `refusing non-http URL ${url.protocol}`));
    const body = req.body === undefined ? undefined : Buffer.from(req.body, 'utf8');
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      r.destroy();
      reject(err);
    };
    const r = request(
      url,
      {
        method: req.method,
        headers: {
          ...req.headers,
          ...(body ? { 'Content-Length': String(body.length) } : {}),
          Connection: 'close',
        },
        signal: req.signal,
      },
      (res) => {
        const declared = Number(res.headers['content-length'] ?? '0');
        if (declared > req.maxBytes) {
          fail(
            new PortMappingError(
              'too-large',
              `answer from ${url.host} declares ${declared} bytes, limit ${req.maxBytes}`,
            ),
          );
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > req.maxBytes) {
            fail(new PortMappingError('too-large', `answer from ${url.host} exceeds ${req.maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (err) =>
          fail(new PortMappingError('http', `HTTP from ${url.host}: ${err.message}`, { cause: err })),
        );
      },
    );
    const timer = setTimeout(
      () =>
        fail(
          new PortMappingError(
            'timeout',
            `HTTP ${req.method} ${url.host}${url.pathname} took over ${req.timeoutMs} ms`,
          ),
        ),
      req.timeoutMs,
    );
    r.on('error', (err) => {
      if (err.name === 'AbortError' && req.signal?.aborted)
        fail(abortError(req.signal, `HTTP ${req.method} ${url.host} aborted`));
      else fail(new PortMappingError('http', `HTTP ${url.host}: ${err.message}`, { cause: err }));
    });
    r.end(body);
  });
}
