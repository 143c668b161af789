/**
 * `pgferry pause ID`: stop a task that another process runs, as Ctrl-C in its terminal would (its
 * stages stop, its sync stops, the slot and the state are kept; the task can be resumed). The
 * request is kept in the store; the running process sees it with its next heartbeat (every 5 s).
 * Waits until that process has stopped; Ctrl-C stops the waiting only (the request stays).
 * Exit 0 once it stopped; 1 when no process runs the task (nothing is changed).
 */
import { pauseTask, taskStatus } from '../../index.js'
import { cliConnection } from '../cli-connection.js'
import type { Command } from '../command-context.js'
import { EXIT } from '../exit-codes.js'
import { resolveTaskId } from '../reopen-options.js'
import { ShutdownSignals } from '../shutdown-signals.js'

/** `pgferry pause ID --target URL [--json]`. */
export const pauseCommand: Command = async ({ id, flags, out, secrets, noteTask }) => {
  const target = cliConnection('target', flags.string('target'), secrets, 'pause', flags)
  const taskId = await resolveTaskId(id ?? '', target, 'pause')
  noteTask(taskId)
  const shutdown = new ShutdownSignals()
  try {
    if (!out.json) out.line(`asking the process that runs task ${taskId} to pause…`)
    const paused = await pauseTask(taskId, { target }, { signal: shutdown.signal }).catch(
      (error: unknown) => {
        if (!shutdown.signal.aborted) throw error
        return undefined
      },
    )
    if (paused === undefined) {
      out.line(`stopped waiting; the request stays: task ${taskId} pauses at its next heartbeat`)
      return EXIT.INTERRUPTED
    }
    const { runner, state } = paused
    const next = (await taskStatus(taskId, { target })).next
    if (out.json) {
      out.jsonLine('paused', {
        taskId,
        state,
        runner: { pid: runner.pid, host: runner.host },
        next,
      })
      return EXIT.OK
    }
    out.line(
      `task ${taskId} paused: pid ${runner.pid} on host ${runner.host} stopped; state ${state}`,
    )
    if (next !== undefined) out.line(`next: ${next}`)
    return EXIT.OK
  } finally {
    shutdown.dispose()
  }
}
