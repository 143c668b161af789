/**
 * The guard on every state move of a task: an illegal move is an error, never a silent no-op.
 */
import { PgferryError } from '../errors.js'
import { TASK_TRANSITIONS, canTransition, type TaskState } from '../model/task-state.js'

/** Throws `PGFERRY_TASK_STATE` unless `from → to` is allowed. */
export function assertTransition(from: TaskState, to: TaskState, taskId: string): void {
  if (!canTransition(from, to)) {
    const allowed = TASK_TRANSITIONS[from]
    throw new PgferryError(
      'PGFERRY_TASK_STATE',
      `task ${taskId} cannot move from '${from}' to '${to}'`,
      {
        fix:
          allowed.length === 0
            ? `the task is ${from}; create a new task`
            : `from '${from}' the task can move to: ${allowed.join(', ')}`,
      },
    )
  }
}
