/**
 * Item `source.replica-identity`: an update or delete of a table without a primary key and without
 * REPLICA IDENTITY FULL/INDEX carries no old key, so it cannot be applied row-exactly (the source
 * even rejects UPDATE/DELETE on such a table once it is published). A warning naming each table;
 * the fix is REPLICA IDENTITY FULL.
 */
import { readWeakReplicaIdentity } from '../catalog/replica-identity.js'
import { quoteQualified } from '../pg/quote.js'
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
      selection.relations.filter((r) => r.kind === 'r').map((r) => r.oid),
    )
    if (weak.length === 0) continue
    names.push(...weak.map((t) => `${db.name}.${t.schema}.${t.name}`))
    fixes.push(
      ...statements(
        'source',
        db.name,
        weak.map((t) => `ALTER TABLE ${quoteQualified(t.schema, t.name)} REPLICA IDENTITY FULL;`),
      ),
    )
  }
  if (names.length === 0)
    return passed(ID, TITLE, 'every selected table has a primary key or a replica identity')
  return found(
    ID,
    TITLE,
    'warn',
    `no primary key and no REPLICA IDENTITY FULL/INDEX, so updates and deletes cannot be replicated row-exactly: ${listNames(names)}`,
    fixes,
    names,
  )
}
