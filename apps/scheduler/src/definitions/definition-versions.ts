import { Inject, Injectable } from '@nestjs/common';
import { ApiError } from '#ferry/errors';
import { Db } from '#ferry/persistence';
import { iso } from '../admin/paging.js';
import { DefinitionVersionEntity } from '../persistence/index.js';
import { DefinitionsService } from './definitions.service.js';

export interface SpecChange {
  path: string;
  before?: unknown;
  after?: unknown;
}

/** The stored versions of a definition's spec, and what changed between two of them. */
@Injectable()
export class DefinitionVersions {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(DefinitionsService) private readonly definitions: Pick<DefinitionsService, 'find'>,
  ) {}

  async list(idOrName: string) {
    return this.db.run(async (em) => {
      const def = await this.definitions.find(em, idOrName);
      const rows = await em
        .getRepository(DefinitionVersionEntity)
        .find({ where: { definitionId: def.id }, order: { version: 'DESC' } });
      return { items: rows.map(versionView), nextCursor: null };
    });
  }

  async get(idOrName: string, version: string) {
    const n = versionNumber(version, 'version');
    return this.db.run(async (em) => versionView(await this.find(em, idOrName, n)));
  }

  async diff(idOrName: string, q: { from?: string; to?: string }) {
    const from = versionNumber(q.from, 'from');
    const to = versionNumber(q.to, 'to');
    return this.db.run(async (em) => {
      const [a, b] = [await this.find(em, idOrName, from), await this.find(em, idOrName, to)];
      return { definitionId: a.definitionId, from, to, changes: specDiff(a.spec, b.spec) };
    });
  }

  private async find(em: Parameters<DefinitionsService['find']>[0], idOrName: string, version: number) {
    const def = await this.definitions.find(em, idOrName);
    const row = await em.getRepository(DefinitionVersionEntity).findOneBy({ definitionId: def.id, version });
    if (!row) throw ApiError.notFound(`Version ${version} of definition`, idOrName);
    return row;
  }
}

function versionView(v: DefinitionVersionEntity) {
  return { definitionId: v.definitionId, version: v.version, spec: v.spec, createdAt: iso(v.createdAt) };
}

function versionNumber(raw: string | undefined, path: string): number {
  const n = raw === undefined ? NaN : Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 2 ** 31 - 1)
    throw ApiError.validation([{ path, problem: 'must be a version number (an integer from 1)' }]);
  return n;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The leaf paths whose values differ between two specs (objects by key, arrays by index), in key order. */
export function specDiff(before: unknown, after: unknown, path = ''): SpecChange[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => specDiff(before[k], after[k], path ? `${path}.${k}` : k));
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const n = Math.max(before.length, after.length);
    return Array.from({ length: n }, (_, i) => specDiff(before[i], after[i], `${path}[${i}]`)).flat();
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const change: SpecChange = { path: path || '(spec)' };
  if (before !== undefined) change.before = before;
  if (after !== undefined) change.after = after;
  return [change];
}
