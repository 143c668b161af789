/**
 * One post-data step on a target session, as the post-data runner runs it in-process and a worker
 * runs it from the job queue (issue 15): a transactional step commits with its
 * `postdata_done` row (target ledger); a non-transactional one (CREATE INDEX CONCURRENTLY …) that a
 * crashed run already finished is kept.
 */
import type pg from 'pg'
import { PgferryError, messageOf } from '../errors.js'
import type { DdlStep } from '../schema/ddl-step.js'
import { alreadyExists } from '../schema/run-steps.js'
import type { StageContext } from '../model/stage.js'
import { markPostDataDone } from './chunk-progress.js'

/** Set a session up as the structure stage sets up its own ('' search path = the default). */
export async function preparePostDataSession(client: pg.Client, searchPath: string): Promise<void> {
  await client.query(
    `SELECT set_config('search_path', coalesce(nullif($1, ''), current_setting('search_path')), false),
            set_config('check_function_bodies', 'off', false),
            set_config('client_min_messages', 'warning', false),
            set_config('statement_timeout', '0', false)`,
    [searchPath],
  )
}

/**
 * Run `step` on `client` (prepared by {@link preparePostDataSession}). `copying`: chunks are still
 * being copied, so no parallel maintenance workers. Rejects with `PGFERRY_SCHEMA_CREATE_FAILED`;
 * the client is then unusable.
 */
export async function runPostDataStep(
  client: pg.Client,
  ctx: Pick<StageContext, 'taskId' | 'warn' | 'config'>,
  step: DdlStep,
  targetDb: string,
  copying: boolean,
): Promise<void> {
  try {
    if (step.transactional === false) {
      for (const sql of step.sql) {
        try {
          await client.query(sql)
        } catch (error) {
          // A non-transactional step that a crashed run already finished: its object exists.
          if (!alreadyExists(step, error)) throw error
          ctx.warn(
            'PGFERRY_POSTDATA_EXISTS',
            `${step.name} already exists (an earlier run made it); kept as it is`,
            step.name,
          )
        }
      }
    } else {
      await client.query(
        copying ? 'BEGIN; SET LOCAL max_parallel_maintenance_workers = 0' : 'BEGIN',
      )
      for (const sql of step.sql) await client.query(sql)
      await markPostDataDone(client, ctx.config.ledger, ctx.taskId, step.key)
      await client.query('COMMIT')
    }
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw new PgferryError(
      'PGFERRY_SCHEMA_CREATE_FAILED',
      `post-data ${step.kind} ${step.name} failed in database ${targetDb}: ${messageOf(error)}`,
      {
        cause: error,
        fix: 'fix the cause on the target and run the full load again; finished steps are not repeated',
      },
    )
  }
}
