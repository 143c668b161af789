/**
 * What a stage call does to the task's state, by the stage's declared kind and state (stage.ts),
 * never by its name: the move when it starts, and the one when it succeeds. Its failure is the
 * runner's (runner.ts): `failed`, or `paused` when aborted.
 */
import { PgferryError } from '../errors.js'
import type { ProgressStore } from '../model/progress-store.js'
import { canTransition, type TaskState } from '../model/task-state.js'
import type { GateResult, Stage, StageKind } from '../model/stage.js'
import type { TaskStatus } from './task-status.js'

/** A stage's kind, `work` when it declares none. */
export const kindOf = (stage: Stage): StageKind => stage.kind ?? 'work'

/**
 * The state a stage that is not a gate runs in: its own, else that of the closest stage before it
 * that declares one (the phase it follows); `undefined` when only gates come before it.
 */
export function runningState(pipeline: readonly Stage[], stage: Stage): TaskState | undefined {
  for (let i = pipeline.indexOf(stage); i >= 0; i--) {
    const s = pipeline[i] as Stage
    if (kindOf(s) !== 'gate' && s.state !== undefined) return s.state
  }
  return undefined
}

/**
 * Move the task for the start of `stage`. Returns whether the stage tracks the state: false only
 * for a gate run after data was written, which reports without moving the task.
 */
export async function enterStage(
  status: TaskStatus,
  store: ProgressStore,
  pipeline: readonly Stage[],
  stage: Stage,
): Promise<boolean> {
  if (kindOf(stage) === 'gate') {
    // After data is written, a gate is a read-only report: it does not move the task (a task that
    // failed in a later stage would otherwise turn 'prechecking', lose the record of its later
    // stage, and see its own target objects as conflicts).
    const last = (await store.loadTask(status.taskId))?.stage
    const lastStage = pipeline.find((s) => s.name === last)
    const written = last !== undefined && (lastStage === undefined || kindOf(lastStage) !== 'gate')
    const tracks = !written && canTransition(status.state, 'prechecking')
    if (tracks) await status.set('prechecking', { stage: stage.name, error: undefined })
    return tracks
  }
  if (status.state === 'precheck_failed' || status.state === 'created') {
    throw new PgferryError(
      'PGFERRY_TASK_PRECHECK_FAILED',
      status.state === 'created'
        ? `task ${status.taskId} has not passed a precheck yet`
        : `task ${status.taskId} failed its precheck`,
      {
        fix: 'run precheck(task) and fix its failed items (or skip them by id) before running other stages',
        cliFix:
          'pgferry resume <task id> runs the precheck first: fix its failed items, or skip them with --skip ID[,ID…]',
      },
    )
  }
  const to = runningState(pipeline, stage)
  // a stage that follows only gates has no phase: it records its name and leaves the state
  if (to === undefined) await status.set(status.state, { stage: stage.name })
  else await status.set(to, { stage: stage.name, error: undefined })
  return true
}

/** Move the task for the success of `stage`: a gate to `ready` or `precheck_failed`, the last stage to `completed`. */
export async function leaveStage(
  status: TaskStatus,
  pipeline: readonly Stage[],
  stage: Stage,
  result: unknown,
): Promise<void> {
  if (kindOf(stage) === 'gate') {
    await status.set(gateResult(stage, result).ok ? 'ready' : 'precheck_failed')
  } else if (pipeline.at(-1) === stage) {
    await status.set('completed')
  }
}

/** A gate's result, checked: a gate that returns no `{ ok }` is a bug of the gate. */
export function gateResult(stage: Stage, result: unknown): GateResult {
  if (
    typeof result === 'object' &&
    result !== null &&
    typeof (result as GateResult).ok === 'boolean'
  )
    return result as GateResult
  throw new PgferryError(
    'PGFERRY_STAGE_INVALID',
    `gate stage '${stage.name}' returned no { ok: boolean }`,
    { fix: `return a GateResult from its run(), or declare it kind: 'work'` },
  )
}

/** The error a `run()` stops with after a failed gate, naming the failed items. */
export function gateFailed(stage: Stage, gate: GateResult): PgferryError {
  const failed = (gate.items ?? []).filter((i) => i.status === 'fail').map((i) => i.id)
  return new PgferryError(
    'PGFERRY_TASK_PRECHECK_FAILED',
    `${stage.name} failed: ${failed.join(', ')}`,
    {
      fix: 'fix each failed item (report.items[].fix) and run again, or skip named items with precheck({ skip })',
      cliFix:
        'fix each failed item (its fix is printed with it) and run again, or skip them with --skip ID[,ID…]',
    },
  )
}
