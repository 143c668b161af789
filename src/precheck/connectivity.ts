/**
 * Item: source and target reachable with the given credentials. The connection error's code
 * distinguishes unreachable host, failed authentication, missing database and SSL required.
 */
import { isPgferryError, messageOf } from '../errors.js'
import type { Side, StageContext } from '../model/stage.js'
import type { PrecheckItem } from './precheck-report.js'

async function reach(ctx: StageContext, side: Side): Promise<PrecheckItem> {
  const id = `${side}.connect`
  const title = `${side} reachable with the given credentials`
  try {
    const client = await ctx.connect(side)
    await client.query('SELECT 1')
    await client.end()
    return { id, title, status: 'pass', message: `connected to the ${side}` }
  } catch (error) {
    return {
      id,
      title,
      status: 'fail',
      message: messageOf(error),
      ...(isPgferryError(error) && error.fix !== undefined ? { fix: error.fix } : {}),
      ...(isPgferryError(error) && error.cliFix !== undefined ? { cliFix: error.cliFix } : {}),
    }
  }
}

/** Both connectivity items, checked in parallel. */
export function checkConnectivity(ctx: StageContext): Promise<PrecheckItem[]> {
  return Promise.all([reach(ctx, 'source'), reach(ctx, 'target')])
}
