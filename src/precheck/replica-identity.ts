/**
 * Item `source.replica-identity`: a table without a primary key and without REPLICA IDENTITY
 * FULL/INDEX, once in the task's publication, makes PostgreSQL reject the application's own UPDATE
 * and DELETE of it on the source (and its changes could not be applied row-exactly). For a
 * `full+incremental` task that is a failure naming each table, with the statement that gives it an
 * identity (its unique index where it has one, else FULL); with `replicaIdentity:
 * 'full-for-keyless'` pgferry sets FULL itself for the task's life, and the item says so. Skipping
 * the item does not publish such a table anyway: the full load refuses it (task-publication.ts).
 */
import {
  KEYLESS_HARM,
  identityFixSql,
  readWeakReplicaIdentity,
} from '../catalog/replica-identity.js'
import { found, listNames, passed, statements } from './precheck-item.js'
import { readable, type PrecheckInput } from './precheck-input.js'
import type { PrecheckFix, PrecheckItem } from './precheck-report.js'

const ID = 'source.replica-identity'
const TITLE = 'every table has a primary key or a replica identity'

export async function checkReplicaIdentity(input: PrecheckInput): Promise<PrecheckItem> {
  if (!input.incremental)
    return passed(ID, TITLE, `not needed: a '${input.type}' task does not replicate changes`)
  const fixes: PrecheckFix[] = []
  const names: string[] = []
  for (const { db, client, selection } of readable(input)) {
    const weak = await readWeakReplicaIdentity(
      client,
      selection.relations.filter((r) => r.kind === 'r' && r.persistence === 'p').map((r) => r.oid),
    )
    if (weak.length === 0) continue
    names.push(...weak.map((t) => `${db.name}.${t.schema}.${t.name}`))
    fixes.push(...statements('source', db.name, weak.map(identityFixSql)))
  }
  if (names.length === 0)
    return passed(ID, TITLE, 'every selected table has a primary key or a replica identity')
  if (input.ctx.config.replicaIdentity === 'full-for-keyless')
    return passed(
      ID,
      TITLE,
      `pgferry sets REPLICA IDENTITY FULL for the task's life on ${names.length} table(s) without a primary key or replica identity, and restores the original when the task completes or is deleted (replicaIdentity: 'full-for-keyless', --replica-identity full-for-keyless): ${listNames(names)}`,
    )
  return found(
    ID,
    TITLE,
    'fail',
    `no primary key and no REPLICA IDENTITY FULL/INDEX: ${listNames(names)}. The task publishes these tables, and ${KEYLESS_HARM}. Give each an identity (the statements below), or create the task with replicaIdentity: 'full-for-keyless' (--replica-identity full-for-keyless) to let pgferry set REPLICA IDENTITY FULL for the task's life and restore it afterwards`,
    fixes,
    names,
  )
}
