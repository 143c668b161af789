/**
 * Extensions installed in a database, and the versions a server can install. All versions ≥ 10.
 */
import type pg from 'pg'

/** One installed extension. */
export interface ExtensionInfo {
  readonly oid: number
  readonly name: string
  readonly version: string
  readonly schema: string
  /** Names of the extensions it requires (from `pg_depend`). */
  readonly requires: readonly string[]
}

/** Read the installed extensions (plpgsql included). */
export async function readExtensions(client: pg.Client): Promise<ExtensionInfo[]> {
  const r = await client.query<{
    oid: number
    name: string
    version: string
    schema: string
    requires: string[] | null
  }>(
    `SELECT e.oid::int8::float8 AS oid, e.extname AS name, e.extversion AS version, n.nspname AS schema,
            (SELECT array_agg(r.extname::text ORDER BY r.extname) FROM pg_depend d JOIN pg_extension r ON r.oid = d.refobjid
              WHERE d.classid = 'pg_extension'::regclass AND d.objid = e.oid AND d.refclassid = 'pg_extension'::regclass) AS requires
       FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace ORDER BY e.extname`,
  )
  return r.rows.map((x) => ({ ...x, requires: x.requires ?? [] }))
}

/** Versions of each extension the server can install: `name → versions`. */
export async function readAvailableExtensionVersions(
  client: pg.Client,
): Promise<Map<string, Set<string>>> {
  const r = await client.query<{ name: string; version: string }>(
    `SELECT name, version FROM pg_available_extension_versions`,
  )
  const out = new Map<string, Set<string>>()
  for (const x of r.rows) {
    let s = out.get(x.name)
    if (s === undefined) out.set(x.name, (s = new Set()))
    s.add(x.version)
  }
  return out
}
