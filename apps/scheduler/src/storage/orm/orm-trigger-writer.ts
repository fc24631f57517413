import type { TriggerWriter } from '../../triggers/trigger-writer.js';

/** SQLite and Oracle: no single-statement write; the intake's transaction writes the trigger. */
export class OrmTriggerWriter implements TriggerWriter {
  async insertAtOnce(): Promise<undefined> {
    return undefined;
  }
}
