/**
 * Holds commands for up to `lingerMs`, so that one row write carries both a held command and its
 * task's next one (each keeps its event). Only for moves whose loss in a crash the protocol repairs:
 * the downstream's 202 to a sync request (a re-send under the same Idempotency-Key learns the job id
 * again). A downstream that calls back at once thus costs one task write instead of two.
 */
export class AcceptLinger<C extends { taskId: string }> {
  private readonly held = new Map<string, C>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly lingerMs: number,
    /** Commits held commands whose task had no next command in time (or all of them, on `flush`). */
    private readonly commit: (commands: C[]) => Promise<void>,
  ) {}

  /** Holds the command (false: lingering is off, the caller commits it at once). */
  hold(command: C): boolean {
    if (this.lingerMs <= 0) return false;
    this.held.set(command.taskId, command);
    this.timer ??= setTimeout(() => void this.flush(), this.lingerMs);
    return true;
  }

  /** Takes out the held commands of these tasks' next commands: they go first, in the same write. */
  takeFor(next: C[]): C[] {
    if (!this.held.size) return [];
    const taken: C[] = [];
    for (const { taskId } of next) {
      const command = this.held.get(taskId);
      if (!command) continue;
      this.held.delete(taskId);
      taken.push(command);
    }
    return taken;
  }

  /** Commits every held command now (the linger ended, or the scheduler is stopping). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const commands = [...this.held.values()];
    this.held.clear();
    if (commands.length) await this.commit(commands);
  }
}
