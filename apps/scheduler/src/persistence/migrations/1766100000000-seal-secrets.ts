import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { SecretBox } from '../../secrets/secret-box.js';
import { sealPlaintextSecrets, unsealSecrets } from '../../secrets/stored-secrets.js';

/**
 * Encrypts the auth profiles' secrets stored in plaintext before secrets at rest: once, with the
 * configured key (the migration is made per database opened, since it needs the key). An empty table
 * needs no key; a table with secrets and no key stops here, before anything is recorded as migrated.
 */
export function sealSecretsMigration(box: SecretBox | undefined): new () => MigrationInterface {
  return class SealSecrets1766100000000 implements MigrationInterface {
    name = 'SealSecrets1766100000000';

    async up(q: QueryRunner): Promise<void> {
      await sealPlaintextSecrets(q.manager, box);
    }

    /** A downgrade to a version that reads plaintext. */
    async down(q: QueryRunner): Promise<void> {
      if (!box) throw new Error('Decrypting the auth profile secrets needs the keys they are sealed with');
      await unsealSecrets(q.manager, box);
    }
  };
}
