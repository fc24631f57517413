import type { EntityManager } from 'typeorm';
import type { DatabaseType } from '#ferry/persistence';
import { dialect, named } from '#ferry/sql';
import { SecretBox, SecretBoxError } from './secret-box.js';

/**
 * The secrets the scheduler keeps at rest: auth profiles' HS256 secrets and PEM private keys, in
 * `auth_profile.secret_material` (a JSON string, as the entity's simple-json column writes it). Alert
 * channels hold none: SMTP credentials stay in the configuration (docs/security.md, "Secrets at rest").
 */
export const profileSecretContext = (name: string) => `auth_profile:${name}`;

export interface StoredSecret {
  name: string;
  version: number;
  value: string;
}

export interface ResealReport {
  /** Sealed again under the current key id (with `check`: to be). */
  resealed: string[];
  /** Already under the current key id. */
  current: string[];
  /** Left as they are, with why (a tampered value, a key no longer configured, not encrypted). */
  failed: Array<{ name: string; problem: string }>;
}

/** Raw SQL, portable and bound to the table as the migrations made it (the migration uses it too). */
function sql(em: EntityManager, text: string): string {
  const t = em.connection.options.type;
  const type: DatabaseType = t === 'better-sqlite3' ? 'sqlite' : (t as DatabaseType);
  return dialect(
    named(text, (n) => em.connection.driver.escape(n)),
    type,
  );
}

export async function readStoredSecrets(em: EntityManager): Promise<StoredSecret[]> {
  const rows: Array<Record<string, unknown>> = await em.query(
    sql(em, 'SELECT {name}, {version}, {secret_material} FROM {auth_profile} ORDER BY {name}'),
  );
  return rows.map((r) => {
    const raw = String(r.secret_material ?? r.SECRET_MATERIAL);
    return { name: String(r.name ?? r.NAME), version: Number(r.version ?? r.VERSION), value: jsonString(raw) };
  });
}

/** Replaces one stored value unless the profile was edited since it was read (its version moved on). */
export async function replaceStoredSecret(em: EntityManager, row: StoredSecret, value: string): Promise<void> {
  await em.query(sql(em, 'UPDATE {auth_profile} SET {secret_material} = ? WHERE {name} = ? AND {version} = ?'), [
    JSON.stringify(value),
    row.name,
    row.version,
  ]);
}

/** Seals every stored value that is not sealed yet (the upgrade from plaintext); answers how many. */
export async function sealPlaintextSecrets(em: EntityManager, box: SecretBox | undefined): Promise<number> {
  const plain = (await readStoredSecrets(em)).filter((row) => SecretBox.keyIdOf(row.value) === undefined);
  if (plain.length && !box)
    throw new Error(`${plain.length} auth profile secret(s) are stored unencrypted and no secret key was given`);
  for (const row of plain) await replaceStoredSecret(em, row, box!.seal(row.value, profileSecretContext(row.name)));
  return plain.length;
}

/** Opens every sealed value back to plaintext (the migration's `down`, for a downgrade). */
export async function unsealSecrets(em: EntityManager, box: SecretBox): Promise<void> {
  for (const row of await readStoredSecrets(em)) {
    if (SecretBox.keyIdOf(row.value) === undefined) continue;
    await replaceStoredSecret(em, row, box.open(row.value, profileSecretContext(row.name)));
  }
}

/**
 * Key rotation: every value sealed under another key id is opened and sealed again under the current
 * one. `check` only reports what it would do (every value is opened all the same).
 */
export async function resealSecrets(em: EntityManager, box: SecretBox, check = false): Promise<ResealReport> {
  const report: ResealReport = { resealed: [], current: [], failed: [] };
  for (const row of await readStoredSecrets(em)) {
    if (SecretBox.keyIdOf(row.value) === box.keyId) {
      report.current.push(row.name);
      continue;
    }
    try {
      const context = profileSecretContext(row.name);
      const sealed = box.seal(box.open(row.value, context), context);
      if (!check) await replaceStoredSecret(em, row, sealed);
      report.resealed.push(row.name);
    } catch (err) {
      if (!(err instanceof SecretBoxError)) throw err;
      report.failed.push({ name: row.name, problem: err.message });
    }
  }
  return report;
}

function jsonString(raw: string): string {
  try {
    const v: unknown = JSON.parse(raw);
    return typeof v === 'string' ? v : raw;
  } catch {
    return raw;
  }
}
