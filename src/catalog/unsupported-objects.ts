/**
 * Objects of the selected schemas (and database-wide ones) that the structure stage cannot create
 * yet, so it can name each in its report instead of dropping it silently. One query. Extension
 * members are left out (CREATE EXTENSION makes them). Versions ≥ 10.
 */
import type pg from 'pg'

/** One object pgferry does not recreate. */
export interface UnsupportedObject {
  /** e.g. `operator`, `text search configuration`. */
  readonly kind: string
  /** Qualified name. */
  readonly name: string
}

/** List the objects of kinds pgferry does not migrate yet. */
export async function readUnsupportedObjects(
  client: pg.Client,
  schemas: readonly string[],
): Promise<UnsupportedObject[]> {
  const notExt = (cls: string, alias: string): string =>
    `NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '${cls}'::regclass AND e.objid = ${alias}.oid AND e.deptype = 'e')`
  const r = await client.query<UnsupportedObject>(
    `SELECT 'operator class' AS kind, n.nspname || '.' || c.opcname AS name FROM pg_opclass c JOIN pg_namespace n ON n.oid = c.opcnamespace
      WHERE n.nspname = ANY($1) AND ${notExt('pg_opclass', 'c')}
     UNION ALL SELECT 'operator family', n.nspname || '.' || f.opfname FROM pg_opfamily f JOIN pg_namespace n ON n.oid = f.opfnamespace
      WHERE n.nspname = ANY($1) AND ${notExt('pg_opfamily', 'f')}
     UNION ALL SELECT 'conversion', n.nspname || '.' || c.conname FROM pg_conversion c JOIN pg_namespace n ON n.oid = c.connamespace
      WHERE n.nspname = ANY($1) AND ${notExt('pg_conversion', 'c')}
     UNION ALL SELECT 'text search parser', n.nspname || '.' || c.prsname FROM pg_ts_parser c JOIN pg_namespace n ON n.oid = c.prsnamespace
      WHERE n.nspname = ANY($1) AND ${notExt('pg_ts_parser', 'c')}
     UNION ALL SELECT 'text search template', n.nspname || '.' || c.tmplname FROM pg_ts_template c JOIN pg_namespace n ON n.oid = c.tmplnamespace
      WHERE n.nspname = ANY($1) AND ${notExt('pg_ts_template', 'c')}
     UNION ALL SELECT 'base type', n.nspname || '.' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = ANY($1) AND t.typtype = 'b' AND t.typcategory <> 'A' AND ${notExt('pg_type', 't')}
     UNION ALL SELECT 'cast', format_type(c.castsource, NULL) || ' AS ' || format_type(c.casttarget, NULL) FROM pg_cast c
      WHERE c.oid >= 16384 AND ${notExt('pg_cast', 'c')}
        AND NOT EXISTS (SELECT 1 FROM pg_depend i WHERE i.classid = 'pg_cast'::regclass AND i.objid = c.oid AND i.deptype = 'i')
     UNION ALL SELECT 'procedural language', l.lanname FROM pg_language l WHERE l.oid >= 16384 AND ${notExt('pg_language', 'l')}
     UNION ALL SELECT 'tablespace placement', n.nspname || '.' || c.relname || ' in tablespace ' || t.spcname
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_tablespace t ON t.oid = c.reltablespace
      WHERE n.nspname = ANY($1) AND c.reltablespace <> 0
     UNION ALL SELECT 'publication', p.pubname FROM pg_publication p WHERE p.pubname !~ '^pgferry'
     ORDER BY 1, 2`,
    [schemas],
  )
  return r.rows
}
