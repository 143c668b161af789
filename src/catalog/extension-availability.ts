/**
 * Extensions a selection uses on the source, and what the target can install. All versions ≥ 10.
 */
import type pg from 'pg'

/** An installed extension. */
export interface InstalledExtension {
  readonly name: string
  readonly version: string
}

/**
 * Extensions the selected objects use (v10+): every extension of the database when the whole
 * database is selected; otherwise those installed in a selected schema, or owning a type (or the
 * element type of an array) of a selected relation's column. `plpgsql` is always there.
 */
export async function readUsedExtensions(
  client: pg.Client,
  wholeDatabase: boolean,
  schemas: readonly string[],
  relOids: readonly number[],
): Promise<InstalledExtension[]> {
  const r = await client.query<InstalledExtension>(
    `SELECT e.extname AS name, e.extversion AS version FROM pg_extension e
      WHERE e.extname <> 'plpgsql'
        AND ($1::bool
          OR e.extnamespace IN (SELECT oid FROM pg_namespace WHERE nspname = ANY($2::text[]))
          OR EXISTS (
            SELECT 1 FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
              JOIN pg_depend d ON d.classid = 'pg_type'::regclass AND d.deptype = 'e'
                AND d.objid IN (t.oid, t.typelem)
             WHERE a.attrelid = ANY($3::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
               AND d.refobjid = e.oid))
      ORDER BY 1`,
    [wholeDatabase, schemas, relOids],
  )
  return r.rows
}

/** What the server can install of each named extension. */
export interface AvailableExtension {
  readonly name: string
  readonly defaultVersion: string
  readonly versions: readonly string[]
}

/** The named extensions the server has installation scripts for, by name (v10+). */
export async function readAvailableExtensions(
  client: pg.Client,
  names: readonly string[],
): Promise<Map<string, AvailableExtension>> {
  const r = await client.query<{ name: string; default_version: string; versions: string[] }>(
    `SELECT a.name, a.default_version,
            array(SELECT v.version FROM pg_available_extension_versions v WHERE v.name = a.name) AS versions
       FROM pg_available_extensions a WHERE a.name = ANY($1::text[])`,
    [names],
  )
  return new Map(
    r.rows.map((x) => [
      x.name,
      { name: x.name, defaultVersion: x.default_version, versions: x.versions },
    ]),
  )
}
