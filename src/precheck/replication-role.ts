/**
 * Item `source.replication-role`: a `full+incremental` task creates a logical replication slot and
 * streams from it, which needs the REPLICATION attribute, a superuser, or a managed service's
 * replication role (catalog/roles.ts). `structure` and `full` tasks read through ordinary
 * connections and do not need it.
 */
import { quoteIdent } from '../pg/quote.js'
import { found, passed } from './precheck-item.js'
import type { PrecheckInput } from './precheck-input.js'
import type { PrecheckItem } from './precheck-report.js'

const ID = 'source.replication-role'
const TITLE = 'source user may replicate (REPLICATION attribute)'

export async function checkReplicationRole(input: PrecheckInput): Promise<PrecheckItem> {
  const r = input.sourceRole
  if (!input.incremental)
    return passed(ID, TITLE, `not needed: a '${input.type}' task opens no replication connection`)
  if (r.superuser) return passed(ID, TITLE, `source user '${r.name}' is a superuser`)
  if (r.replication) return passed(ID, TITLE, `source user '${r.name}' has REPLICATION`)
  if (r.managedReplication)
    return passed(ID, TITLE, `source user '${r.name}' is a member of a managed replication role`)
  return found(
    ID,
    TITLE,
    'fail',
    `source user '${r.name}' has neither REPLICATION nor superuser; it cannot create a replication slot`,
    [{ side: 'source', sql: `ALTER ROLE ${quoteIdent(r.name)} WITH REPLICATION;` }],
    [r.name],
  )
}
