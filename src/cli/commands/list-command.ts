/**
 * `pgferry list`: the tasks kept on a target.
 */
import { listTasks } from '../../index.js'
import { cliConnection } from '../cli-connection.js'
import type { Command } from '../command-context.js'
import { EXIT } from '../exit-codes.js'
import { taskSummary } from '../task-summary.js'

/** `pgferry list --target URL [--json]`. */
export const listCommand: Command = async ({ flags, out, secrets }) => {
  const target = cliConnection('target', flags.string('target'), secrets, 'list')
  const tasks = await listTasks({ target })
  if (out.json) {
    for (const t of tasks) out.jsonLine('task', taskSummary(t))
    return EXIT.OK
  }
  if (tasks.length === 0) {
    out.line('no tasks')
    return EXIT.OK
  }
  const rows = tasks.map((t) => [
    t.id,
    t.type,
    t.state,
    t.stage ?? '-',
    t.updatedAt.toISOString().replace(/\.\d+Z$/, 'Z'),
    t.name,
  ])
  const header = ['ID', 'TYPE', 'STATE', 'STAGE', 'UPDATED', 'NAME']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  for (const r of [header, ...rows]) {
    out.line(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  '))
  }
  return EXIT.OK
}
