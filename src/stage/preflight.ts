/**
 * Before a stage call moves the task: can pgferry log in to both servers? A missing or wrong
 * password is the caller's mistake, to be told to the caller with the task left as it was (a task
 * turned `failed` by it would then need a resume to undo a failure that never touched the data).
 * Other connection failures are left to the stage, which reports them as before.
 */
import { isPgferryError, type PgferryError } from '../errors.js'
import type { ResolvedTaskConfig } from '../model/resolved-config.js'
import { openClient } from '../pg/connect.js'

/** Codes that say the caller gave the wrong credentials. */
const CALLER_CODES = new Set(['PGFERRY_CONFIG_SECRET_MISSING', 'PGFERRY_CONNECT_AUTH_FAILED'])

/** The caller's credential mistake on either side, or undefined when both log in (or fail otherwise). */
export async function credentialMistake(
  config: ResolvedTaskConfig,
): Promise<PgferryError | undefined> {
  for (const side of ['source', 'target'] as const) {
    try {
      const client = await openClient(config[side], side)
      await client.end().catch(() => undefined)
    } catch (error) {
      if (isPgferryError(error) && CALLER_CODES.has(error.code)) return error
    }
  }
  return undefined
}
