/**
 * `pgferry events ID`: a task's kept event log (warnings, errors, state changes, finished stages).
 * Read-only: it creates nothing on the target.
 */
import { taskEvents } from '../../index.js'
import { cliConnection } from '../cli-connection.js'
import type { Command } from '../command-context.js'
import { EXIT } from '../exit-codes.js'

/** `pgferry events ID --target URL [--json]`. */
export const eventsCommand: Command = async ({ id, flags, out, secrets }) => {
  const target = cliConnection('target', flags.string('target'), secrets, 'events')
  const events = await taskEvents(id ?? '', { target })
  for (const e of events) {
    if (out.json) {
      out.jsonLine({ at: e.at, event: e.name, ...e.payload })
      continue
    }
    out.line(
      `${e.at.toISOString().replace(/\.\d+Z$/, 'Z')}  ${e.name.padEnd(10)} ${describe(e.name, e.payload)}`,
    )
  }
  if (events.length === 0 && !out.json) out.line(`no events for task ${id ?? ''}`)
  return EXIT.OK
}

function describe(name: string, p: Readonly<Record<string, unknown>>): string {
  const s = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v))
  switch (name) {
    case 'task:state':
      return `${s(p.from)} -> ${s(p.to)}`
    case 'stage:done':
      return `${s(p.stage)} done in ${s(p.durationMs)} ms`
    case 'warning':
      return `${s(p.code)}: ${s(p.message)}`
    case 'error': {
      const e = p.error as { code?: unknown; message?: unknown } | undefined
      return `${s(e?.code)}: ${s(e?.message)}`
    }
    default:
      return JSON.stringify(p)
  }
}
