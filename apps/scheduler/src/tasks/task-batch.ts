import { COUNTER_BY_STATUS } from '../groups/group-status.js';
import type { Effects } from './task-listeners.js';
import { isLive, type TaskEventDraft, type TaskRow } from './task-status.js';

/** The rows a batch of task commands read and changed, what changed, and what that sets off. */
export class Work {
  readonly rows: Map<string, TaskRow>;
  readonly original: Map<string, TaskRow>;
  readonly changed = new Map<string, TaskRow>();
  readonly events: TaskEventDraft[] = [];

  constructor(loaded: Map<string, TaskRow>) {
    this.original = new Map(loaded);
    this.rows = new Map(loaded);
  }

  record(row: TaskRow, next: TaskRow | undefined, event: TaskEventDraft | undefined): void {
    if (next) {
      this.rows.set(row.id, next);
      this.changed.set(row.id, next);
    }
    if (event) this.events.push(event);
  }

  /** Groups with a task whose counted class (succeeded, failed, cancelled, skipped, live) changed. */
  groupsTouched(): string[] {
    const touched = new Set<string>();
    for (const row of this.changed.values()) {
      if (COUNTER_BY_STATUS[this.original.get(row.id)!.status] !== COUNTER_BY_STATUS[row.status])
        touched.add(row.groupRunId);
    }
    return [...touched];
  }

  ready(): string[] {
    return [...this.changed.values()]
      .filter((r) => r.status === 'PENDING' && r.readyAt !== null)
      .filter((r) => this.original.get(r.id)!.readyAt === null || this.original.get(r.id)!.status !== 'PENDING')
      .map((r) => r.id);
  }

  /** Tasks that entered RETRY_WAIT: their queued round must be brought forward to the backoff's end. */
  retryWaits(): Array<{ id: string; at: number }> {
    return [...this.changed.values()]
      .filter((r) => r.status === 'RETRY_WAIT' && this.original.get(r.id)!.status !== 'RETRY_WAIT')
      .map((r) => ({ id: r.id, at: r.nextAt ?? 0 }));
  }

  moved(): Array<{ event: TaskEventDraft; task: TaskRow }> {
    return this.events.map((event) => ({ event, task: this.rows.get(event.taskRunId)! }));
  }

  finished(): string[] {
    return [...this.changed.values()].filter((r) => !isLive(r.status)).map((r) => r.id);
  }

  /** What the listeners are told once the batch committed. */
  effects(): Effects {
    return {
      ready: this.ready(),
      finished: this.finished(),
      retryWaits: this.retryWaits(),
      groups: this.groupsTouched(),
      moved: this.moved(),
    };
  }
}
