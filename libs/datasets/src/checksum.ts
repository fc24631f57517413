import { createHash, type Hash } from 'node:crypto';
import { canonicalJson } from './canonical.js';

/** `sha256:` + hex SHA-256 over each record's canonical JSON followed by `\n` (CONTRACT.md, Provider). */
export class ChecksumBuilder {
  private readonly hash: Hash = createHash('sha256');

  /** Adds a record; returns its canonical text so callers need not serialise it twice. */
  add(record: unknown): string {
    const text = canonicalJson(record);
    this.hash.update(text + '\n');
    return text;
  }

  /** Adds a record already in canonical form (e.g. as stored by the provider). */
  addCanonical(text: string): void {
    this.hash.update(text + '\n');
  }

  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

export function checksumOf(records: Iterable<unknown>): string {
  const b = new ChecksumBuilder();
  for (const r of records) b.add(r);
  return b.digest();
}
