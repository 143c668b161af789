/**
 * Text search dictionaries and configurations of the selected schemas (with each configuration's
 * token mappings), one query each. Versions ≥ 10. Parsers and templates need C code and are
 * reported as unsupported elsewhere.
 */
import type pg from 'pg'

/** One text search dictionary. */
export interface TsDictionaryInfo {
  readonly oid: number
  readonly schema: string
  readonly name: string
  readonly owner: string
  /** `quote_ident(schema).quote_ident(name)` of the template. */
  readonly template: string
  /** `dictinitoption`, already in `key = value, …` form. */
  readonly options: string | null
}

/** One text search configuration. */
export interface TsConfigurationInfo {
  readonly oid: number
  readonly schema: string
  readonly name: string
  readonly owner: string
  readonly parser: string
  /** token type alias → dictionary oids in order. */
  readonly mappings: readonly { readonly token: string; readonly dictionaries: readonly number[] }[]
}

const notExt = (cls: string, col: string): string =>
  `NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '${cls}'::regclass AND e.objid = ${col} AND e.deptype = 'e')`

/** Read the dictionaries of the given schemas. */
export async function readTsDictionaries(
  client: pg.Client,
  schemas: readonly string[],
): Promise<TsDictionaryInfo[]> {
  const r = await client.query<TsDictionaryInfo>(
    `SELECT d.oid::int8::float8 AS oid, n.nspname AS schema, d.dictname AS name, pg_get_userbyid(d.dictowner) AS owner,
            quote_ident(tn.nspname) || '.' || quote_ident(t.tmplname) AS template, d.dictinitoption AS options
       FROM pg_ts_dict d JOIN pg_namespace n ON n.oid = d.dictnamespace
       JOIN pg_ts_template t ON t.oid = d.dicttemplate JOIN pg_namespace tn ON tn.oid = t.tmplnamespace
      WHERE n.nspname = ANY($1::text[]) AND ${notExt('pg_ts_dict', 'd.oid')} ORDER BY 2, 3`,
    [schemas],
  )
  return r.rows
}

/** Read the configurations of the given schemas with their mappings. */
export async function readTsConfigurations(
  client: pg.Client,
  schemas: readonly string[],
): Promise<TsConfigurationInfo[]> {
  const r = await client.query<{
    oid: number
    schema: string
    name: string
    owner: string
    parser: string
    mappings: { token: string; dictionaries: number[] }[] | null
  }>(
    `SELECT c.oid::int8::float8 AS oid, n.nspname AS schema, c.cfgname AS name, pg_get_userbyid(c.cfgowner) AS owner,
            quote_ident(pn.nspname) || '.' || quote_ident(p.prsname) AS parser,
            (SELECT json_agg(json_build_object('token', t.alias, 'dictionaries', m.dicts) ORDER BY m.maptokentype)
               FROM (SELECT maptokentype, array_agg(mapdict::int8::float8 ORDER BY mapseqno) AS dicts
                       FROM pg_ts_config_map WHERE mapcfg = c.oid GROUP BY maptokentype) m
               JOIN ts_token_type(c.cfgparser) t ON t.tokid = m.maptokentype) AS mappings
       FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace
       JOIN pg_ts_parser p ON p.oid = c.cfgparser JOIN pg_namespace pn ON pn.oid = p.prsnamespace
      WHERE n.nspname = ANY($1::text[]) AND ${notExt('pg_ts_config', 'c.oid')} ORDER BY 2, 3`,
    [schemas],
  )
  return r.rows.map((x) => ({ ...x, mappings: x.mappings ?? [] }))
}

/** Qualified names of dictionaries by oid (any schema), for the mappings. */
export async function readTsDictionaryNames(
  client: pg.Client,
): Promise<Map<number, { schema: string; name: string }>> {
  const r = await client.query<{ oid: number; schema: string; name: string }>(
    `SELECT d.oid::int8::float8 AS oid, n.nspname AS schema, d.dictname AS name
       FROM pg_ts_dict d JOIN pg_namespace n ON n.oid = d.dictnamespace`,
  )
  return new Map(r.rows.map((x) => [x.oid, { schema: x.schema, name: x.name }]))
}
