/**
 * The task states and the only moves between them. An illegal move is an error, never a
 * silent no-op: a caller that sees a rejected transition has a bug or a race to fix (the error is
 * raised by stage/assert-transition.ts, above the errors module this pure layer does not import).
 */

/**
 * The states a task moves through.
 * @public
 */
export type TaskState =
  | 'created'
  | 'prechecking'
  | 'precheck_failed'
  | 'ready'
  | 'running_structure'
  | 'running_full_load'
  | 'incremental_sync'
  | 'paused'
  | 'completing'
  | 'completed'
  | 'failed'

const RUNNING: readonly TaskState[] = [
  'running_structure',
  'running_full_load',
  'incremental_sync',
  'completing',
]

/**
 * Allowed transitions. `paused` and `failed` resume into the stage that stopped (pgferry resumes
 * from where it stopped instead of restarting from scratch). Re-running precheck is allowed from
 * any state before data is written.
 * @public
 */
export const TASK_TRANSITIONS: Readonly<Record<TaskState, readonly TaskState[]>> = {
  created: ['prechecking', 'failed'],
  prechecking: ['precheck_failed', 'ready', 'failed'],
  precheck_failed: ['prechecking', 'failed'],
  ready: ['prechecking', 'running_structure', 'failed'],
  running_structure: ['running_full_load', 'completed', 'paused', 'failed'],
  running_full_load: ['incremental_sync', 'completed', 'paused', 'failed'],
  incremental_sync: ['completing', 'paused', 'failed'],
  paused: ['prechecking', ...RUNNING, 'failed'],
  completing: ['completed', 'paused', 'failed'],
  completed: [],
  failed: ['prechecking', ...RUNNING],
}

/** True when `from → to` is allowed (staying in the same running state is a resume, also allowed). */
export function canTransition(from: TaskState, to: TaskState): boolean {
  if (from === to) return RUNNING.includes(to) || to === 'prechecking'
  return TASK_TRANSITIONS[from].includes(to)
}

/** States in which no stage is running and none can be resumed. */
export function isTerminal(state: TaskState): boolean {
  return state === 'completed'
}

/**
 * Whether `complete` applies to a task in `state` whose last stage was `stage`: its sync has run,
 * and it is syncing, completing, or was stopped in the sync or in `complete` itself (a Ctrl-C
 * there leaves it `paused`). Never before the full load has finished.
 */
export function completable(state: TaskState, stage: string | undefined): boolean {
  if (state === 'incremental_sync' || state === 'completing') return true
  return (
    (state === 'paused' || state === 'failed') && (stage === 'incremental' || stage === 'complete')
  )
}
