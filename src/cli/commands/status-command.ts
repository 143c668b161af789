/**
 * `pgferry status ID`: one task as the store keeps it and as its running process last reported it
 * (status-view.ts); `--watch` redraws it every `--interval` seconds until Ctrl-C.
 */
import {
  PgferryError,
  taskSlots,
  taskStatus,
  type ConnectionInput,
  type TaskSlot,
  type TaskStatusReport,
} from '../../index.js'
import { cliConnection } from '../cli-connection.js'
import type { Command } from '../command-context.js'
import type { CliOutput } from '../cli-output.js'
import { describeConnection } from '../describe-connection.js'
import { EXIT } from '../exit-codes.js'
import { intervalFromFlags, repeatUntilSignal } from '../repeat-until-signal.js'
import { resolveTaskId } from '../reopen-options.js'
import { statusJson, statusRows } from '../status-view.js'

/** Clear a terminal and put the cursor home (the `--watch` redraw). */
const CLEAR_SCREEN = '\x1b[H\x1b[2J'

/** `pgferry status ID --target URL [--source URL] [--watch [--interval S]] [--json]`. */
export const statusCommand: Command = async ({ id, flags, out, secrets }) => {
  const target = cliConnection('target', flags.string('target'), secrets, 'status')
  const sourceUrl = flags.string('source')
  const source =
    sourceUrl === undefined ? undefined : cliConnection('source', sourceUrl, secrets, 'status')
  const taskId = await resolveTaskId(id ?? '', target, 'status')
  const show = async (): Promise<boolean> => {
    const report = await readReport(taskId, target)
    if (report === undefined) {
      out.error(`no task ${taskId} in the store on ${describeConnection(target)}`)
      out.error(`  fix: 'pgferry list --target <target URL>' shows the tasks it has`)
      return false
    }
    const slots: TaskSlot[] | undefined =
      source === undefined ? undefined : await taskSlots(report.task.id, { source })
    print(out, report, slots, flags.has('watch'))
    return true
  }
  if (!flags.has('watch')) return (await show()) ? EXIT.OK : EXIT.FAILED
  let found = true
  const end = await repeatUntilSignal(intervalFromFlags(flags, 'status', 2), async () => {
    found = await show()
    return !found
  })
  if (!found) return EXIT.FAILED
  return end === 'interrupted' ? EXIT.INTERRUPTED : EXIT.OK
}

async function readReport(
  id: string,
  target: ConnectionInput,
): Promise<TaskStatusReport | undefined> {
  try {
    return await taskStatus(id, { target })
  } catch (error) {
    if (error instanceof PgferryError && error.code === 'PGFERRY_TASK_NOT_FOUND') return undefined
    throw error
  }
}

/** One status: a JSON line, or text rows (on a terminal under --watch, on a cleared screen). */
function print(
  out: CliOutput,
  report: TaskStatusReport,
  slots: TaskSlot[] | undefined,
  watch: boolean,
): void {
  if (out.json) {
    out.jsonLine('status', statusJson(report, slots))
    return
  }
  const rows = statusRows(report, slots)
  if (watch && out.live) out.raw(CLEAR_SCREEN)
  for (const [k, v] of rows) out.line(`${k.padEnd(8)} ${v}`)
  if (watch && !out.live) out.line('')
}
