/**
 * `pgferry delete ID`: drop what a task left on the servers, then forget it.
 */
import { deleteTask } from '../../index.js'
import { cliConnection } from '../cli-connection.js'
import type { Command } from '../command-context.js'
import { EXIT } from '../exit-codes.js'

/** `pgferry delete ID --source URL --target URL`. */
export const deleteCommand: Command = async ({ id, flags, out, secrets }) => {
  const source = cliConnection('source', flags.string('source'), secrets, 'delete')
  const target = cliConnection('target', flags.string('target'), secrets, 'delete')
  await deleteTask(id ?? '', { source, target })
  out.line(`task ${id ?? ''} deleted (its slot, publication, origin and progress rows are gone)`)
  return EXIT.OK
}
