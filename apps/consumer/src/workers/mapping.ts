import { type ColumnMapping, type ColumnType, type DatasetSpec, keyColumns } from '#ferry/datasets';

export type Cell = string | number | boolean | null;
export type MapResult = { ok: true; row: Cell[] } | { ok: false; reasons: string[] };

/** A dataset's mapping, compiled once: record → target row (column order = mapping order). */
export interface CompiledMapping {
  columns: ColumnMapping[];
  /** Positions of the key columns within a row. */
  keyIndex: number[];
  map(record: Record<string, unknown>): MapResult;
  /** Only the key columns (for `op: delete`, which carries nothing else). */
  mapKey(record: Record<string, unknown>): MapResult;
}

export function compileMapping(spec: DatasetSpec): CompiledMapping {
  const columns = spec.mapping.columns;
  const keys = keyColumns(spec);
  const keyIndex = keys.map((k) => columns.indexOf(k));
  const keyNames = new Set(keys.map((k) => k.name));
  const convert = (cols: ColumnMapping[], record: Record<string, unknown>): MapResult => {
    const row: Cell[] = new Array(cols.length);
    let reasons: string[] | undefined;
    for (let i = 0; i < cols.length; i++) {
      const c = cols[i];
      let v: unknown = c.constant !== undefined ? c.constant : record[c.from ?? c.name];
      if ((v === undefined || v === null) && c.default !== undefined) v = c.default;
      if (v === undefined || v === null) {
        if (keyNames.has(c.name)) (reasons ??= []).push(`${c.from ?? c.name}: the key is missing`);
        row[i] = null;
        continue;
      }
      const cell = cast(v, c.type);
      if (cell === undefined)
        (reasons ??= []).push(`${c.from ?? c.name}: cannot cast ${JSON.stringify(v)} to ${c.type}`);
      else row[i] = cell;
    }
    return reasons ? { ok: false, reasons } : { ok: true, row };
  };
  return { columns, keyIndex, map: (r) => convert(columns, r), mapKey: (r) => convert(keys, r) };
}

/** Converts a JSON value to the column's type; undefined when it cannot be done without loss. */
export function cast(v: unknown, type: ColumnType): Cell | undefined {
  switch (type) {
    case 'string':
      return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
    case 'integer': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d{1,16}$/.test(v) ? Number(v) : NaN;
      return Number.isSafeInteger(n) ? n : undefined;
    }
    case 'number': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      return Number.isFinite(n) ? n : undefined;
    }
    case 'boolean':
      if (typeof v === 'boolean') return v;
      if (v === 1 || v === 'true' || v === '1') return true;
      if (v === 0 || v === 'false' || v === '0') return false;
      return undefined;
    case 'timestamp': {
      // Epoch milliseconds: comparable and portable on every database we support.
      const ms = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
      return Number.isSafeInteger(ms) ? ms : undefined;
    }
  }
}
