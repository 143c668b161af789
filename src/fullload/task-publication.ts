/**
 * The task's publication over one source database, made harmless to the source before it exists.
 * A published table without a primary key or replica identity makes PostgreSQL reject the
 * application's own UPDATE and DELETE of it (CheckCmdReplicaIdentity), so such a table is never
 * published as it is, even when the precheck item was skipped: the load refuses it, or, with
 * `replicaIdentity: 'full-for-keyless'`, sets REPLICA IDENTITY FULL on it first. Both that change
 * and the publication are recorded in the store before they are made (store/source-objects.ts), so
 * `complete`, `delete()` and every failure path undo them, even after a crash.
 */
import type pg from 'pg'
import { PgferryError } from '../errors.js'
import {
  KEYLESS_HARM,
  identityFixSql,
  readWeakReplicaIdentity,
} from '../catalog/replica-identity.js'
import type { SelectedRelation } from '../catalog/selection.js'
import type { StageContext } from '../model/stage.js'
import { recordSourceObjects } from '../store/source-objects.js'
import { ensurePublication } from './snapshot.js'
import { assertPublicationCovers } from './publication-coverage.js'
import { alterReplicaIdentity } from './alter-replica-identity.js'

/**
 * Make `publication` cover `relations` of `database`, after giving every published table an
 * identity; a DBA-made publication (the task's `publication` option) is checked to cover them.
 */
export async function publishSelection(
  ctx: StageContext,
  src: pg.Client,
  srcVersion: number,
  database: string,
  publication: string,
  relations: readonly SelectedRelation[],
): Promise<void> {
  // leaf tables carry the rows: with publish_via_partition_root a partition is checked itself
  const leaves = relations.filter((r) => r.kind === 'r' && r.persistence === 'p')
  const weak = await readWeakReplicaIdentity(
    src,
    leaves.map((r) => r.oid),
  )
  if (weak.length > 0) {
    if (ctx.config.replicaIdentity !== 'full-for-keyless') {
      const names = weak.map((w) => `${w.schema}.${w.name}`)
      throw new PgferryError(
        'PGFERRY_SOURCE_NO_REPLICA_IDENTITY',
        `database ${database}: ${names.length} table(s) have no primary key and no replica identity, so they are not published: ${names.slice(0, 20).join(', ')}${names.length > 20 ? ` … and ${names.length - 20} more` : ''}. If they were, ${KEYLESS_HARM}`,
        {
          fix: `on the source, in database ${database}: ${weak.map(identityFixSql).join(' ')} Or create the task with replicaIdentity: 'full-for-keyless', and pgferry sets REPLICA IDENTITY FULL itself and restores it when the task completes or is deleted`,
          cliFix: `on the source, in database ${database}: ${weak.map(identityFixSql).join(' ')} Or create the task with --replica-identity full-for-keyless, and pgferry sets REPLICA IDENTITY FULL itself and restores it when the task completes or is deleted`,
        },
      )
    }
    await recordSourceObjects(
      ctx.store,
      ctx.taskId,
      weak.map((w) => ({
        database,
        kind: 'replica-identity' as const,
        name: `${w.schema}.${w.name}`,
        oid: w.oid,
        schema: w.schema,
        table: w.name,
        original: w.identity,
      })),
    )
    for (const w of weak) await alterReplicaIdentity(src, database, w.schema, w.name, 'FULL')
    ctx.warn(
      'PGFERRY_FULLLOAD_REPLICA_IDENTITY_SET',
      `REPLICA IDENTITY FULL set on ${weak.length} table(s) without a key for the task's life (restored when it completes or is deleted): ${weak
        .slice(0, 20)
        .map((w) => `${w.schema}.${w.name}`)
        .join(', ')}`,
      database,
    )
  }
  if (ctx.config.publication !== undefined) {
    // a DBA's publication: checked, never recorded (so never dropped), never altered
    await assertPublicationCovers(src, ctx.config.publication, database, relations, srcVersion)
    return
  }
  await recordSourceObjects(ctx.store, ctx.taskId, [
    { database, kind: 'publication', name: publication },
  ])
  await ensurePublication(src, publication, relations, srcVersion)
}
