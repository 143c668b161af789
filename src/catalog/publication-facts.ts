/**
 * A publication as the stream will see it: which actions it publishes, whether it publishes
 * through partition roots, and the tables it covers (`pg_publication_tables`, which lists leaf
 * partitions when the publication does not publish via the root). v10+ (`pubtruncate` v11+,
 * `pubviaroot` v13+).
 */
import type pg from 'pg'

/** What a publication carries. */
export interface PublicationFacts {
  readonly insert: boolean
  readonly update: boolean
  readonly delete: boolean
  readonly truncate: boolean
  /** `publish_via_partition_root` (false before v13). */
  readonly viaRoot: boolean
  /** `schema.table` of every table it covers, as the server lists them. */
  readonly tables: ReadonlySet<string>
}

/** The publication's facts, or undefined when it does not exist in the connected database. */
export async function readPublicationFacts(
  client: pg.Client,
  name: string,
  serverVersion: number,
): Promise<PublicationFacts | undefined> {
  const viaRoot = serverVersion >= 130000 ? 'pubviaroot' : 'false'
  const r = await client.query<{
    ins: boolean
    upd: boolean
    del: boolean
    trunc: boolean
    via: boolean
  }>(
    `SELECT pubinsert AS ins, pubupdate AS upd, pubdelete AS del, pubtruncate AS trunc, ${viaRoot} AS via
       FROM pg_publication WHERE pubname = $1`,
    [name],
  )
  const row = r.rows[0]
  if (row === undefined) return undefined
  const t = await client.query<{ name: string }>(
    `SELECT schemaname || '.' || tablename AS name FROM pg_publication_tables WHERE pubname = $1`,
    [name],
  )
  return {
    insert: row.ins,
    update: row.upd,
    delete: row.del,
    truncate: row.trunc,
    viaRoot: row.via,
    tables: new Set(t.rows.map((x) => x.name)),
  }
}
