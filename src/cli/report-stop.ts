/**
 * How a command that drives a task ends when the task's work was stopped on purpose, not by a
 * failure: a Ctrl-C (SIGINT/SIGTERM) in this terminal exits 130, a pause request from another
 * process (`pgferry pause ID`) exits 3; either way the task's state and the real commands that
 * continue it are printed.
 */
import type { Task } from '../index.js'
import type { CliOutput } from './cli-output.js'
import { EXIT } from './exit-codes.js'
import { printResumeHint } from './resume-hint.js'
import type { ShutdownSignals } from './shutdown-signals.js'

/** Why `task`'s work stopped on purpose: the exit code, or undefined when it was not asked to. */
export function stopCode(task: Task, shutdown: ShutdownSignals): number | undefined {
  if (shutdown.signal.aborted) return EXIT.INTERRUPTED
  if (task.pauseRequest !== undefined) return EXIT.PAUSED
  return undefined
}

/** The line that says who stopped `task` (a pause request), or nothing for a Ctrl-C. */
export function printPausedBy(task: Task, out: CliOutput): void {
  const by = task.pauseRequest
  if (by === undefined) return
  out.line(`paused: pgferry pause from pid ${by.pid} on host ${by.host} stopped task ${task.id}`)
}

/**
 * When a stage call rejected because the task was asked to stop: say so, with the task's state
 * and the commands that continue it, and resolve with the exit code; undefined for a failure.
 */
export async function reportStop(
  task: Task,
  shutdown: ShutdownSignals,
  out: CliOutput,
): Promise<number | undefined> {
  const code = stopCode(task, shutdown)
  if (code === undefined) return undefined
  out.clearStatus()
  printPausedBy(task, out)
  const state = await task.refresh()
  const completable = await task.status().then(
    (r) => r.completable,
    () => undefined,
  )
  out.line(`${code === EXIT.PAUSED ? '' : 'interrupted: '}task ${task.id} is ${state}`)
  printResumeHint(task, out, state, completable)
  return code
}
