/**
 * `pgferry delete ID`: drop what a task left on the servers, then forget it.
 */
import { deleteTask } from '../../index.js'
import type { Command } from '../command-context.js'
import { EXIT } from '../exit-codes.js'
import { withReopenOptions } from '../reopen-options.js'

/** `pgferry delete ID [--target URL]`. */
export const deleteCommand: Command = async (ctx) => {
  const { id } = await withReopenOptions(ctx, deleteTask)
  ctx.out.line(`task ${id} deleted (its slot, publication, origin and progress rows are gone)`)
  return EXIT.OK
}
