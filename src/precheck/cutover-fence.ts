/**
 * Item `source.cutover-fence` (`full+incremental` only): `complete` writes its fence with
 * `pg_logical_emit_message` on each source database (complete/cutover-fence.ts). EXECUTE on it is
 * PUBLIC's by default, but a hardened source may have revoked it; `complete` would then fail at
 * the cutover, after hours of sync. Function privileges live in each database's pg_proc, so each
 * selected database is asked.
 */
import { fenceFunction } from '../complete/cutover-fence.js'
import { readFunctionPrivileges } from '../catalog/function-privileges.js'
import { quoteIdent } from '../pg/quote.js'
import { found, passed, statements } from './precheck-item.js'
import { readable, type PrecheckInput } from './precheck-input.js'
import type { PrecheckFix, PrecheckItem } from './precheck-report.js'

const ID = 'source.cutover-fence'
const TITLE = 'source user may write the cutover fence (EXECUTE on pg_logical_emit_message)'

/** `pg_logical_emit_message(boolean,text,text)` → `pg_logical_emit_message(boolean, text, text)` (GRANT's spelling). */
const grantSpelling = (signature: string): string => signature.replaceAll(',', ', ')

export async function checkCutoverFence(input: PrecheckInput): Promise<PrecheckItem> {
  if (!input.incremental)
    return passed(ID, TITLE, `not needed: a '${input.type}' task writes no fence`)
  const role = input.sourceRole.name
  if (input.sourceRole.superuser) return passed(ID, TITLE, `source user '${role}' is a superuser`)
  const fn = fenceFunction(input.sourceVersion.num)
  const missing: string[] = []
  const fixes: PrecheckFix[] = []
  for (const { db, client } of readable(input)) {
    const denied = await readFunctionPrivileges(client, [fn])
    if (denied.length === 0) continue
    missing.push(`${db.name}: ${fn}`)
    fixes.push(
      ...statements('source', db.name, [
        `GRANT EXECUTE ON FUNCTION ${grantSpelling(fn)} TO ${quoteIdent(role)};`,
      ]),
    )
  }
  if (missing.length === 0)
    return passed(ID, TITLE, `source user '${role}' may execute ${fn} in every selected database`)
  return found(
    ID,
    TITLE,
    'fail',
    `source user '${role}' may not execute ${missing.join(', ')}; complete writes its cutover fence with it and would fail`,
    fixes,
    missing,
  )
}
