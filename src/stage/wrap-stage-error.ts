/**
 * How a stage's failure reaches the caller and the store: one PgferryError naming the stage (an
 * abort becomes PGFERRY_ABORTED, whatever the stage threw while stopping).
 */
import { PgferryError, messageOf, sqlStateOf } from '../errors.js'
import { privilegeFix } from '../pg/privilege-fix.js'

/**
 * The error a stage call rejects with. `sourceUser` names the role in the fix of a privilege
 * failure (42501) no stage classified: the privileges pgferry needs beyond its target user's are
 * the source's (REPLICATION, publication ownership, CREATE on the database, SELECT).
 */
export function wrapStageError(
  error: unknown,
  stage: string,
  signal: AbortSignal,
  sourceUser?: string,
): PgferryError {
  if (signal.aborted) {
    return new PgferryError('PGFERRY_ABORTED', `stage '${stage}' was aborted`, {
      cause: error,
      stage,
      fix: 'call the stage (or task.run()) again to resume',
      cliFix: 'pgferry resume <task id> continues it',
    })
  }
  if (error instanceof PgferryError) {
    if (error.stage !== undefined) return error
    return new PgferryError(error.code, `${stage}: ${error.message}`, {
      side: error.side,
      retryable: error.retryable,
      cause: error.cause ?? error,
      stage,
      ...(error.fix !== undefined ? { fix: error.fix } : {}),
      ...(error.cliFix !== undefined ? { cliFix: error.cliFix } : {}),
    })
  }
  const fix =
    sourceUser !== undefined && sqlStateOf(error) === '42501'
      ? privilegeFix(error, sourceUser)
      : undefined
  return new PgferryError('PGFERRY_STAGE_FAILED', `stage '${stage}' failed: ${messageOf(error)}`, {
    cause: error,
    stage,
    ...(fix !== undefined ? { fix } : {}),
  })
}

/** The fields of a stage error kept in the store. */
export function serializeError(error: PgferryError): Record<string, unknown> {
  return {
    code: error.code,
    message: error.message,
    side: error.side,
    retryable: error.retryable,
    fix: error.fix,
    ...(error.cliFix !== undefined ? { cliFix: error.cliFix } : {}),
    stage: error.stage,
    sqlState: error.sqlState,
  }
}
