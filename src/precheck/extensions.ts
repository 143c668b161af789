/**
 * Item `target.extensions`: every extension the selected objects use (catalog/extensions.ts says
 * which) must be installable on the target. Not available at all — fail (the fix is installing its
 * package on the target host; no SQL can do it). Available, but not at the source's version — warn
 * (CREATE EXTENSION gives another version; updating the source's extension aligns them).
 */
import { readAvailableExtensions, readUsedExtensions } from '../catalog/extension-availability.js'
import { quoteIdent, quoteLiteral } from '../pg/quote.js'
import { found, passed } from './precheck-item.js'
import { readable, type PrecheckInput } from './precheck-input.js'
import type { PrecheckFix, PrecheckItem } from './precheck-report.js'

const ID = 'target.extensions'
const TITLE = 'extensions used by the selection are available on the target'

export async function checkExtensions(input: PrecheckInput): Promise<PrecheckItem> {
  const used: { database: string; name: string; version: string }[] = []
  for (const { db, client, selection } of readable(input)) {
    const ext = await readUsedExtensions(
      client,
      db.schemas === undefined,
      selection.schemas.map((s) => s.name),
      selection.relations.map((r) => r.oid),
    )
    used.push(...ext.map((e) => ({ database: db.name, ...e })))
  }
  if (used.length === 0) return passed(ID, TITLE, 'the selection uses no extension')
  const available = await readAvailableExtensions(input.target, [
    ...new Set(used.map((e) => e.name)),
  ])
  const missing = used.filter((e) => !available.has(e.name))
  if (missing.length > 0)
    return found(
      ID,
      TITLE,
      'fail',
      `not available on the target: ${missing.map((e) => `${e.name} ${e.version} (used in ${e.database})`).join(', ')}`,
      `install the package providing ${[...new Set(missing.map((e) => e.name))].join(', ')} on the target host (its control file goes to the server's share/extension directory), then run the precheck again`,
      missing.map((e) => e.name),
    )
  const otherVersion = used.filter(
    (e) => !(available.get(e.name)?.versions ?? []).includes(e.version),
  )
  if (otherVersion.length > 0) {
    const fixes: PrecheckFix[] = otherVersion.map((e) => ({
      side: 'source',
      database: e.database,
      sql: `ALTER EXTENSION ${quoteIdent(e.name)} UPDATE TO ${quoteLiteral(available.get(e.name)?.defaultVersion ?? '')};`,
    }))
    return found(
      ID,
      TITLE,
      'warn',
      `the target cannot install the source's version of ${otherVersion
        .map(
          (e) =>
            `${e.name} ${e.version} (in ${e.database}; target has ${(available.get(e.name)?.versions ?? []).join(', ')})`,
        )
        .join(', ')}; it will be created at the target's default version`,
      fixes,
      otherVersion.map((e) => e.name),
    )
  }
  return passed(
    ID,
    TITLE,
    `available on the target: ${[...new Set(used.map((e) => `${e.name} ${e.version}`))].join(', ')}`,
  )
}
