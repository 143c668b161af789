/**
 * The event of a task stopped on purpose (a signal, Ctrl-C, `pgferry pause`), apart from the
 * failures of events.ts: a pause is kept in the event log, never as an error.
 */

/**
 * Payload of `task:paused`: the task's work stopped because it was asked to (its caller's signal,
 * Ctrl-C in the CLI, or a pause request from another process), not because it failed. The task is
 * resumable; the call that ran the stage rejects with `PGFERRY_ABORTED`.
 * @public
 */
export interface TaskPausedEvent {
  /** The task that emitted the event. */
  readonly taskId: string
  /** The stage that stopped; absent when a running sync stopped between stage calls. */
  readonly stage?: string
  /** Why, e.g. `received SIGINT`, or `paused by pid 5643 on host db-tools-1 (pgferry pause)`. */
  readonly reason: string
}
