/**
 * Relations of some schemas that a list of oids does not name: what was created on the source in a
 * schema the task migrates whole after its manifest was resolved. Partitions are left out (they
 * travel with their parent), as are objects of extensions. All versions ≥ 10, one query.
 */
import type pg from 'pg'
import type { RelKind } from '../model/manifest.js'

/** A relation the list does not name. */
export interface UnlistedRelation {
  readonly oid: number
  readonly schema: string
  readonly name: string
  readonly kind: RelKind
  /** `p` permanent, `u` unlogged, `t` temporary. */
  readonly persistence: 'p' | 'u' | 't'
}

/** Relations of `schemas` whose oid is not in `known`, by schema and name. */
export async function readUnlistedRelations(
  client: pg.Client,
  schemas: readonly string[],
  known: ReadonlySet<number>,
): Promise<UnlistedRelation[]> {
  if (schemas.length === 0) return []
  const r = await client.query<UnlistedRelation>(
    `SELECT c.oid::int8::float8 AS oid, n.nspname AS schema, c.relname AS name,
            c.relkind::text AS kind, c.relpersistence::text AS persistence
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
        AND NOT c.relispartition
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
      ORDER BY 2, 3`,
    [schemas],
  )
  return r.rows.filter((x) => !known.has(x.oid))
}
