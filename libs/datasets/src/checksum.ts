import { createHash, type Hash } from 'node:crypto';
import { canonicalJson } from './canonical.js';

/** `sha256:` + hex SHA-256 over each record's canonical JSON followed by `\n` (docs/contract.md, "Provider"). */
export class ChecksumBuilder {
  private readonly hash: Hash = createHash('sha256');
  // One native update per ~64 KiB instead of one per record: the per-call cost dominated.
  private pending = '';

  /** Adds a record; returns its canonical text so callers need not serialise it twice. */
  add(record: unknown): string {
    const text = canonicalJson(record);
    this.addCanonical(text);
    return text;
  }

  /** Adds a record already in canonical form (e.g. as stored by the provider). */
  addCanonical(text: string): void {
    this.pending += text + '\n';
    if (this.pending.length > 65_536) this.flush();
  }

  digest(): string {
    this.flush();
    return `sha256:${this.hash.digest('hex')}`;
  }

  private flush(): void {
    if (this.pending) this.hash.update(this.pending, 'utf8');
    this.pending = '';
  }
}

export function checksumOf(records: Iterable<unknown>): string {
  const b = new ChecksumBuilder();
  for (const r of records) b.add(r);
  return b.digest();
}
