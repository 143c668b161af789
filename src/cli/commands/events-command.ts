/**
 * `pgferry events ID`: a task's kept event log (warnings, errors, state changes, pauses, finished
 * stages).
 * `--follow` keeps reading it as it grows, until the task is completed or no process runs it, or
 * Ctrl-C. Read-only: it creates nothing on the target.
 */
import { taskEvents, taskStatus, type StoredEvent } from '../../index.js'
import { cliConnection } from '../cli-connection.js'
import { cliEventFix, cliEventPayload } from '../format-error.js'
import type { CliOutput } from '../cli-output.js'
import type { Command } from '../command-context.js'
import { EXIT } from '../exit-codes.js'
import { intervalFromFlags, repeatUntilSignal } from '../repeat-until-signal.js'
import { resolveTaskId } from '../reopen-options.js'

/** `pgferry events ID --target URL [--follow [--interval S]] [--json]`. */
export const eventsCommand: Command = async ({ id, flags, out, secrets }) => {
  const target = cliConnection('target', flags.string('target'), secrets, 'events')
  const taskId = await resolveTaskId(id ?? '', target, 'events')
  const events = await taskEvents(taskId, { target })
  for (const e of events) print(out, e, taskId)
  if (!flags.has('follow')) {
    if (events.length === 0 && !out.json) out.line(`no events for task ${taskId}`)
    return EXIT.OK
  }
  let shown = events.length
  // the runner writes its events before it lets its lease go, so the events read after a status
  // that shows the task ended are all of them
  const end = await repeatUntilSignal(intervalFromFlags(flags, 'events', 1), async () => {
    const status = await taskStatus(taskId, { target })
    const all = await taskEvents(taskId, { target })
    for (const e of all.slice(shown)) print(out, e, taskId)
    shown = Math.max(shown, all.length)
    return status.task.state === 'completed' || status.runState === 'stopped'
  })
  return end === 'interrupted' ? EXIT.INTERRUPTED : EXIT.OK
}

function print(out: CliOutput, e: StoredEvent, taskId: string): void {
  if (out.json) {
    out.jsonLine(e.name, cliEventPayload(e.payload, taskId), e.at)
    return
  }
  out.line(
    `${e.at.toISOString().replace(/\.\d+Z$/, 'Z')}  ${e.name.padEnd(10)} ${describe(e.name, e.payload, taskId)}`,
  )
}

function describe(name: string, p: Readonly<Record<string, unknown>>, taskId: string): string {
  const s = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v))
  switch (name) {
    case 'task:state':
      return `${s(p.from)} -> ${s(p.to)}`
    case 'stage:done':
      return `${s(p.stage)} done in ${s(p.durationMs)} ms`
    case 'warning':
      return `${s(p.code)}: ${s(p.message)}`
    case 'task:paused':
      return `${p.stage === undefined ? 'the sync' : `stage ${s(p.stage)}`} stopped: ${s(p.reason)}`
    case 'error': {
      const e = p.error as { code?: unknown; message?: unknown } | undefined
      const fix = cliEventFix(p, taskId)
      return `${s(e?.code)}: ${s(e?.message)}${fix === undefined ? '' : ` (fix: ${fix})`}`
    }
    default:
      return JSON.stringify(p)
  }
}
