/**
 * The trace each live task belongs to, as last seen by this instance (its dispatch or callback), so
 * its state-move log lines carry the right trace id: moves are committed in batches that mix tasks
 * of many traces, so the batch's own context says nothing. Bounded; empty when tracing is off.
 */
export class TaskTraces {
  private readonly ids = new Map<string, string>();

  constructor(private readonly max = 50_000) {}

  remember(taskRunId: string, traceId: string | undefined): void {
    if (!traceId) return;
    if (this.ids.size >= this.max && !this.ids.has(taskRunId)) this.ids.delete(this.ids.keys().next().value!);
    this.ids.set(taskRunId, traceId);
  }

  of(taskRunId: string): string | undefined {
    return this.ids.get(taskRunId);
  }

  forget(taskRunId: string): void {
    this.ids.delete(taskRunId);
  }
}
