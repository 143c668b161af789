/**
 * The error for a target without a free replication state (SQLSTATE 53400 from
 * `pg_replication_origin_session_setup`, origin.c): every slot is held by another origin. The fix
 * is the setting that bounds them, read from the server, sized for the origins it holds plus this
 * one. The precheck item `target.replication-origins` counts all the task needs in advance.
 */
import type pg from 'pg'
import { PgferryError } from '../errors.js'
import { readOriginUse } from '../catalog/replication-origins.js'
import { versionNum } from '../catalog/server-version.js'

/** SQLSTATE configuration_limit_exceeded. */
export const ORIGINS_EXHAUSTED_SQLSTATE = '53400'

/** The PgferryError for `error`, a 53400 from setting up `origin` on `client`. */
export async function originsExhausted(
  client: pg.Client,
  origin: string,
  error: unknown,
): Promise<PgferryError> {
  const use = await readOriginUse(client, await versionNum(client)).catch(() => undefined)
  const setting = use?.setting ?? 'max_replication_slots'
  const held = use === undefined ? '' : `; ${use.held.length} of ${use.limit} are held`
  return new PgferryError(
    'PGFERRY_APPLY_ORIGINS_EXHAUSTED',
    `no free replication origin on the target for ${origin}${held} (${setting}); the apply records its progress in one per migrated database`,
    {
      cause: error,
      fix: `on the target, then restart it and resume the task:\nALTER SYSTEM SET ${setting} = ${use === undefined ? '<more than now>' : use.held.length + 1};\n(one more per migrated database of the task; or drop origins no longer used: SELECT pg_replication_origin_drop(name))`,
    },
  )
}
