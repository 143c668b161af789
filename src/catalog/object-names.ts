/**
 * Names that a migration creates, and names that already exist where it would create them. A
 * relation and a type share one namespace (every table has a row type of its name), so both are
 * read. One query per kind per database. All versions ≥ 10.
 */
import type pg from 'pg'
import { versionNum } from './server-version.js'

/** An object of a schema, as its DROP statement needs it. */
export interface NamedObject {
  readonly schema: string
  readonly name: string
  /** relkind (`r`, `p`, `v`, `m`, `S`, `f`, `i`, `I`, `c`), `type`, `domain`, or for a routine its prokind and `()` (`f()`, `p()`, `a()`, `w()`). */
  readonly kind: string
  /**
   * For routines: the argument types (`oidvectortypes(proargtypes)`, names left out: they do not
   * make a signature) — what DROP FUNCTION takes; else empty.
   */
  readonly args: string
}

/**
 * Objects of the named schemas on the target (v10+; prokind from v11, earlier every routine is a
 * function or an aggregate): relations, standalone types (not table row types, not arrays — both
 * come with their owner), functions.
 */
export async function readExistingObjects(
  client: pg.Client,
  schemas: readonly string[],
): Promise<NamedObject[]> {
  const prokind =
    (await versionNum(client)) >= 110000
      ? `p.prokind::text`
      : `CASE WHEN p.proisagg THEN 'a' ELSE 'f' END`
  const r = await client.query<NamedObject>(
    `SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind, '' AS args
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1::text[]) AND c.relkind <> 't'
     UNION ALL
     SELECT n.nspname, t.typname, CASE t.typtype WHEN 'd' THEN 'domain' ELSE 'type' END, ''
       FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = ANY($1::text[]) AND t.typrelid = 0
        AND NOT (t.typelem <> 0 AND t.typlen = -1 AND t.typname ~ '^_')
     UNION ALL
     SELECT n.nspname, p.proname, ${prokind} || '()', oidvectortypes(p.proargtypes)
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = ANY($1::text[])`,
    [schemas],
  )
  return r.rows
}

/**
 * What the selection creates besides its relations (v10+): the indexes of the selected tables, the
 * standalone types (enum, composite, domain, range) of schemas selected whole, not counting those an
 * extension owns, and the selected routines with their argument types.
 */
export async function readCreatedExtras(
  client: pg.Client,
  relOids: readonly number[],
  wholeSchemas: readonly string[],
  fnOids: readonly number[],
): Promise<NamedObject[]> {
  const r = await client.query<NamedObject>(
    `SELECT n.nspname AS schema, ci.relname AS name, 'i' AS kind, '' AS args
       FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ci.relnamespace
      WHERE i.indrelid = ANY($1::oid[])
     UNION ALL
     SELECT n.nspname, t.typname, CASE t.typtype WHEN 'd' THEN 'domain' ELSE 'type' END, ''
       FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = ANY($2::text[]) AND t.typtype IN ('e', 'd', 'r', 'c')
        AND (t.typtype <> 'c' OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
     UNION ALL
     SELECT n.nspname, p.proname, 'f()', oidvectortypes(p.proargtypes)
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE p.oid = ANY($3::oid[])`,
    [relOids, wholeSchemas, fnOids],
  )
  return r.rows
}
