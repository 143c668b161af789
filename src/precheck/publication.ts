/**
 * Item `source.publication` (`full+incremental` only): the full load can have its publication.
 * Without the task option `publication`, pgferry creates one, which needs CREATE on each source
 * database and ownership of every published table (a superuser has both). With it, the named
 * publication must exist in each database and carry every selected table, every action, under
 * the leaf partitions (fullload/publication-coverage.ts).
 */
import { readPublicationPrivileges } from '../catalog/publication-privileges.js'
import { publicationGaps } from '../fullload/publication-coverage.js'
import { publishedRelations } from '../fullload/published-relations.js'
import { quoteIdent, quoteQualified } from '../pg/quote.js'
import { found, passed, statements } from './precheck-item.js'
import type { PrecheckInput } from './precheck-input.js'
import type { PrecheckFix, PrecheckItem } from './precheck-report.js'

const ID = 'source.publication'
const TITLE = 'the publication can be created, or the named one covers the selection'

export async function checkPublication(input: PrecheckInput): Promise<PrecheckItem> {
  if (!input.incremental)
    return passed(ID, TITLE, `not needed: a '${input.type}' task streams no changes`)
  const named = input.ctx.config.publication
  const version = input.sourceVersion.num
  if (named === undefined && input.sourceRole.superuser)
    return passed(ID, TITLE, `source user '${input.sourceRole.name}' is a superuser`)
  const user = quoteIdent(input.sourceRole.name)
  const problems: string[] = []
  const fixes: PrecheckFix[] = []
  const objects: string[] = []
  for (const d of input.databases) {
    if (d.client === undefined || d.selection === undefined) continue // source.privileges says why
    const db = d.db.name
    if (named !== undefined) {
      const gaps = await publicationGaps(d.client, named, d.selection.relations, version)
      problems.push(...gaps.problems.map((p) => `${db}: ${p}`))
      fixes.push(...statements('source', db, gaps.fixes))
      if (gaps.problems.length > 0) objects.push(`${db}: publication ${named}`)
      continue
    }
    const published = publishedRelations(d.selection.relations, version)
    const lacks = await readPublicationPrivileges(
      d.client,
      published.map((r) => r.oid),
    )
    const sql: string[] = []
    if (!lacks.createOnDatabase) {
      problems.push(`CREATE on database ${db} (CREATE PUBLICATION needs it)`)
      objects.push(db)
      sql.push(`GRANT CREATE ON DATABASE ${quoteIdent(db)} TO ${user};`)
    }
    if (lacks.unowned.length > 0) {
      const names = lacks.unowned.map((t) => `${db}.${t.schema}.${t.name}`)
      problems.push(
        `ownership of ${names.join(', ')} (CREATE PUBLICATION … FOR TABLE needs it; membership in the owner role counts)`,
      )
      objects.push(...names)
      const owners = [...new Set(lacks.unowned.map((t) => t.owner))]
      // membership in a superuser owner would hand over every object it owns: a DBA-made publication then
      if (lacks.unowned.some((t) => t.ownerIsSuperuser)) {
        sql.push(
          `CREATE PUBLICATION pgferry_dba FOR TABLE ${published.map((r) => quoteQualified(r.schema, r.name)).join(', ')};  -- as the owner or a superuser; then create the task with publication: 'pgferry_dba'`,
        )
      } else {
        sql.push(...owners.map((o) => `GRANT ${quoteIdent(o)} TO ${user};`))
      }
    }
    fixes.push(...statements('source', db, sql))
  }
  if (problems.length === 0)
    return passed(
      ID,
      TITLE,
      named !== undefined
        ? `publication ${named} covers every selected table`
        : `source user '${input.sourceRole.name}' may create the publication`,
    )
  return found(
    ID,
    TITLE,
    'fail',
    named !== undefined
      ? problems.join('; ')
      : `source user '${input.sourceRole.name}' lacks ${problems.join('; ')}; or name a publication a DBA made (task option 'publication')`,
    fixes,
    objects,
  )
}
