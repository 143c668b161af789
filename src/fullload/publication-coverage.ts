/**
 * Whether a publication the DBA made (task option `publication`) carries everything the task
 * streams: every selected table, every action, each change under its own leaf partition. Read by
 * the precheck and again by the full load before it creates the slot.
 */
import type pg from 'pg'
import { PgferryError } from '../errors.js'
import { readPublicationFacts } from '../catalog/publication-facts.js'
import type { SelectedRelation } from '../catalog/selection.js'
import { quoteIdent, quoteQualified } from '../pg/quote.js'
import { replicatedTables } from './published-relations.js'

/** What is wrong with the publication (empty: it covers the selection) and the SQL that fixes it. */
export interface PublicationGaps {
  readonly problems: readonly string[]
  readonly fixes: readonly string[]
}

/** Compare publication `name` in the database `client` is on with the selected relations. */
export async function publicationGaps(
  client: pg.Client,
  name: string,
  relations: readonly SelectedRelation[],
  serverVersion: number,
): Promise<PublicationGaps> {
  const pub = quoteIdent(name)
  const facts = await readPublicationFacts(client, name, serverVersion)
  const tables = replicatedTables(relations)
  if (facts === undefined) {
    const list = tables.map((t) => quoteQualified(t.schema, t.name)).join(', ')
    return {
      problems: [`publication ${name} does not exist`],
      fixes: [`CREATE PUBLICATION ${pub}${list === '' ? '' : ` FOR TABLE ${list}`};`],
    }
  }
  const problems: string[] = []
  const fixes: string[] = []
  const missing = tables.filter((t) => !facts.tables.has(`${t.schema}.${t.name}`))
  if (missing.length > 0) {
    problems.push(
      `publication ${name} does not publish ${missing.map((t) => `${t.schema}.${t.name}`).join(', ')}`,
    )
    fixes.push(
      `ALTER PUBLICATION ${pub} ADD TABLE ${missing.map((t) => quoteQualified(t.schema, t.name)).join(', ')};`,
    )
  }
  if (!(facts.insert && facts.update && facts.delete && facts.truncate)) {
    problems.push(
      `publication ${name} does not publish every action (insert, update, delete, truncate)`,
    )
    fixes.push(`ALTER PUBLICATION ${pub} SET (publish = 'insert, update, delete, truncate');`)
  }
  if (facts.viaRoot) {
    problems.push(
      `publication ${name} publishes via partition roots: a TRUNCATE of one partition would not reach the target`,
    )
    fixes.push(`ALTER PUBLICATION ${pub} SET (publish_via_partition_root = false);`)
  }
  return { problems, fixes }
}

/** Reject with PGFERRY_PUBLICATION_INCOMPLETE unless publication `name` covers the selection. */
export async function assertPublicationCovers(
  client: pg.Client,
  name: string,
  database: string,
  relations: readonly SelectedRelation[],
  serverVersion: number,
): Promise<void> {
  const gaps = await publicationGaps(client, name, relations, serverVersion)
  if (gaps.problems.length === 0) return
  throw new PgferryError(
    'PGFERRY_PUBLICATION_INCOMPLETE',
    `${database}: ${gaps.problems.join('; ')}`,
    { fix: `on the source, in database ${database}: ${gaps.fixes.join(' ')}` },
  )
}
