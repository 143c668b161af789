/**
 * Every comment on a user object of the current database (oid ≥ 16384, FirstNormalObjectId), one
 * query; plus shared comments (databases, roles). All versions.
 */
import type pg from 'pg'

/** Comments keyed by `<catalog>:<oid>:<subid>`, e.g. `pg_class:16390:2` for a column. */
export type CommentMap = ReadonlyMap<string, string>

/** The key under which {@link readComments} files a comment. */
export function commentKey(catalog: string, oid: number, subId = 0): string {
  return `${catalog}:${oid}:${subId}`
}

/** Read the comments of user objects in the current database. */
export async function readComments(client: pg.Client): Promise<CommentMap> {
  const r = await client.query<{ cls: string; oid: number; sub: number; description: string }>(
    `SELECT c.relname AS cls, d.objoid::int8::float8 AS oid, d.objsubid AS sub, d.description
       FROM pg_description d JOIN pg_class c ON c.oid = d.classoid
      WHERE d.objoid >= 16384`,
  )
  return new Map(r.rows.map((x) => [commentKey(x.cls, x.oid, x.sub), x.description]))
}

/** Read the comments of databases and roles. */
export async function readSharedComments(client: pg.Client): Promise<CommentMap> {
  const r = await client.query<{ cls: string; oid: number; description: string }>(
    `SELECT c.relname AS cls, d.objoid::int8::float8 AS oid, d.description
       FROM pg_shdescription d JOIN pg_class c ON c.oid = d.classoid`,
  )
  return new Map(r.rows.map((x) => [commentKey(x.cls, x.oid), x.description]))
}
