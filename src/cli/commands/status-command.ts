/**
 * `pgferry status ID`: one task as the store keeps it.
 */
import { getTask, taskSlots, type TaskSlot } from '../../index.js'
import { cliConnection } from '../cli-connection.js'
import type { Command } from '../command-context.js'
import { describeConnection } from '../describe-connection.js'
import { EXIT } from '../exit-codes.js'
import { formatBytes } from '../format-units.js'
import { taskSummary } from '../task-summary.js'

/** `pgferry status ID --target URL [--source URL] [--json]`. */
export const statusCommand: Command = async ({ id, flags, out, secrets }) => {
  const target = cliConnection('target', flags.string('target'), secrets, 'status')
  const record = await getTask(id ?? '', { target })
  if (record === undefined) {
    out.error(`no task ${id ?? ''} in the store on ${describeConnection(target)}`)
    out.error(`  fix: 'pgferry list --target <target URL>' shows the tasks it has`)
    return EXIT.FAILED
  }
  const s = taskSummary(record)
  const sourceUrl = flags.string('source')
  const slots: TaskSlot[] | undefined =
    sourceUrl === undefined
      ? undefined
      : await taskSlots(record.id, {
          source: cliConnection('source', sourceUrl, secrets, 'status'),
        })
  if (out.json) {
    out.jsonLine(
      slots === undefined
        ? s
        : {
            ...s,
            slots: slots.map((x) => ({ ...x, retainedBytes: x.retainedBytes?.toString() ?? null })),
          },
    )
    return EXIT.OK
  }
  const rows: [string, string][] = [
    ['id', s.id],
    ['name', s.name],
    ['type', s.type],
    ['state', s.state],
    ['stage', s.stage ?? '-'],
    ['source', s.source ?? '-'],
    ['target', s.target ?? '-'],
    ['created', s.createdAt],
    ['updated', s.updatedAt],
  ]
  if (s.skippedChecks.length > 0) rows.push(['skipped', s.skippedChecks.join(', ')])
  if (s.error !== undefined) rows.push(['error', s.error])
  for (const x of slots ?? [])
    rows.push([
      'slot',
      `${x.slot} (${x.database}${x.active ? ', streaming' : ''}): retains ${x.retainedBytes === undefined ? '-' : formatBytes(x.retainedBytes)} of WAL on the source${x.walStatus === undefined ? '' : `, wal_status ${x.walStatus}`}`,
    ])
  if (slots !== undefined && slots.length === 0) rows.push(['slot', 'none on the source'])
  for (const [k, v] of rows) out.line(`${k.padEnd(8)} ${v}`)
  return EXIT.OK
}
