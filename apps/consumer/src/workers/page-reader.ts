import { type Agent, request } from 'undici';
import type { FileManifest, RecordsPage } from '#ferry/contracts';
import { type EgressConfig, EgressGuard } from '#ferry/egress';

export class ProviderError extends Error {
  constructor(
    readonly code: 'PROVIDER_UNAVAILABLE' | 'PROVIDER_ERROR',
    message: string,
  ) {
    super(message);
  }
}

// One keep-alive agent per worker thread, shared by every file it loads; built from the first task's
// egress allow-list (every task of a consumer carries the same one).
let agent: Agent | undefined;

/** Reads one file's manifest and pages from the provider, retrying what is worth retrying. */
export class PageReader {
  constructor(
    private readonly base: string,
    private readonly token: () => string,
    egress: EgressConfig,
    private readonly attempts = 6,
  ) {
    agent ??= new EgressGuard(egress).agent({ keepAliveTimeout: 30_000, connections: 8 });
  }

  manifest(dataset: string, fileId: string): Promise<FileManifest> {
    return this.get(`/api/v1/datasets/${encodeURIComponent(dataset)}/files/${encodeURIComponent(fileId)}`);
  }

  page(dataset: string, fileId: string, cursor: string | null, limit: number): Promise<RecordsPage> {
    const qs = `limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    return this.get(
      `/api/v1/datasets/${encodeURIComponent(dataset)}/files/${encodeURIComponent(fileId)}/records?${qs}`,
    );
  }

  private async get<T>(path: string): Promise<T> {
    let last = '';
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      try {
        const res = await request(this.base + path, {
          dispatcher: agent,
          headers: { authorization: `Bearer ${this.token()}` },
        });
        const text = await res.body.text();
        if (res.statusCode === 200) return JSON.parse(text) as T;
        last = `HTTP ${res.statusCode} from the provider: ${text.slice(0, 300)}`;
        if (res.statusCode < 500 && res.statusCode !== 429 && res.statusCode !== 408)
          throw new ProviderError('PROVIDER_ERROR', last);
      } catch (err) {
        if (err instanceof ProviderError) throw err;
        last = `The provider did not answer: ${(err as Error).message}`;
      }
      await new Promise((r) => setTimeout(r, Math.min(5000, 200 * 2 ** attempt)));
    }
    throw new ProviderError('PROVIDER_UNAVAILABLE', last);
  }
}
