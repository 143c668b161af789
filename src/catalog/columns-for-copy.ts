/**
 * What the full load needs to know about a table to COPY it: its columns (generated ones left
 * out, identity ones kept), whether every column can travel in binary COPY format, and how it can
 * be split (a heap table's block count for ctid ranges, or a single-column integer key).
 * Serves v10+ (attgenerated from v12, relam from v12, TID range scans from v14).
 */
import type pg from 'pg'
import { versionNum } from './server-version.js'

/** One column to copy. */
export interface CopyColumn {
  readonly name: string
  readonly typeOid: number
  /** `format_type` of the column, for messages. */
  readonly type: string
  /** The type (or its array element) can go through binary COPY between two versions. */
  readonly binarySafe: boolean
}

/** A table as the COPY pipe sees it on one side. */
export interface CopyTable {
  readonly oid: number
  readonly schema: string
  readonly name: string
  /** In attnum order; generated columns excluded. */
  readonly columns: readonly CopyColumn[]
  /** Heap blocks (pg_relation_size / block_size) when the table uses the heap access method. */
  readonly heapBlocks: number | undefined
  /** A NOT NULL single integer column with a unique index, for key-range chunks. */
  readonly intKey: string | undefined
}

/**
 * FirstNormalObjectId: types below it are built in, with the same oid on every version. User and
 * extension types get other oids on the target, and binary arrays/records carry element oids.
 */
const FIRST_NORMAL_OID = 16384

interface ColRow {
  rel: number
  name: string
  type_oid: number
  type: string
  safe: boolean
}

/** Columns to copy of the tables `oids` of the database `client` is connected to, by oid. */
export async function readCopyColumns(
  client: pg.Client,
  oids: readonly number[],
): Promise<Map<number, CopyColumn[]>> {
  const v = await versionNum(client)
  const generated = v >= 120000 ? `AND a.attgenerated = ''` : ''
  // reg* types travel as oids in binary; aclitem has no binary I/O; types without send/receive
  // functions cannot travel in binary at all.
  const r = await client.query<ColRow>(
    `SELECT a.attrelid::int8::float8 AS rel, a.attname AS name, a.atttypid::int8::float8 AS type_oid,
            format_type(a.atttypid, a.atttypmod) AS type,
            (t.oid < ${FIRST_NORMAL_OID} AND t.typsend <> 0 AND t.typreceive <> 0
              AND t.typname !~ '^_?reg' AND t.typname NOT IN ('aclitem', '_aclitem')
              AND (t.typelem = 0 OR (t.typelem < ${FIRST_NORMAL_OID} AND e.typsend <> 0 AND e.typreceive <> 0
                   AND e.typname !~ '^reg'))) AS safe
       FROM pg_attribute a
       JOIN pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_type e ON e.oid = t.typelem
      WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped ${generated}
      ORDER BY a.attrelid, a.attnum`,
    [oids],
  )
  const out = new Map<number, CopyColumn[]>()
  for (const row of r.rows) {
    let list = out.get(row.rel)
    if (list === undefined) out.set(row.rel, (list = []))
    list.push({ name: row.name, typeOid: row.type_oid, type: row.type, binarySafe: row.safe })
  }
  return out
}

interface SplitRow {
  oid: number
  heap: boolean
  blocks: string
  int_key: string | null
}

/** How each table can be split: heap block count, and a unique NOT NULL integer column. */
export async function readSplitInfo(
  client: pg.Client,
  oids: readonly number[],
): Promise<Map<number, { heapBlocks: number | undefined; intKey: string | undefined }>> {
  const v = await versionNum(client)
  const heap =
    v >= 120000 ? `(SELECT am.amname = 'heap' FROM pg_am am WHERE am.oid = c.relam)` : 'true'
  const r = await client.query<SplitRow>(
    `SELECT c.oid::int8::float8 AS oid, coalesce(${heap}, false) AS heap,
            (pg_relation_size(c.oid) / current_setting('block_size')::int8)::text AS blocks,
            (SELECT a.attname FROM pg_index i
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
              WHERE i.indrelid = c.oid AND i.indisunique AND i.indisvalid AND i.indnatts = 1
                AND i.indexprs IS NULL AND i.indpred IS NULL AND a.attnotnull
                AND a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)
              ORDER BY i.indisprimary DESC, i.indexrelid LIMIT 1) AS int_key
       FROM pg_class c WHERE c.oid = ANY($1::oid[])`,
    [oids],
  )
  return new Map(
    r.rows.map((row) => [
      row.oid,
      {
        heapBlocks: row.heap ? Number(row.blocks) : undefined,
        intKey: row.int_key ?? undefined,
      },
    ]),
  )
}

/**
 * Columns of target tables by qualified name (generated ones excluded), keyed by
 * `targetColumnsKey(schema, name)`; a table that does not exist has no entry. One lookup and one
 * column query for all of them.
 */
export async function readTargetColumns(
  client: pg.Client,
  tables: readonly { readonly schema: string; readonly name: string }[],
): Promise<Map<string, CopyColumn[]>> {
  const rel = await client.query<{ oid: number; schema: string; name: string }>(
    `SELECT c.oid::int8::float8 AS oid, n.nspname AS schema, c.relname AS name
       FROM unnest($1::text[], $2::text[]) AS t(schema, name)
       JOIN pg_namespace n ON n.nspname = t.schema
       JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.name
      WHERE c.relkind IN ('r', 'p')`,
    [tables.map((t) => t.schema), tables.map((t) => t.name)],
  )
  const columns = await readCopyColumns(
    client,
    rel.rows.map((r) => r.oid),
  )
  return new Map(
    rel.rows.map((r) => [targetColumnsKey(r.schema, r.name), columns.get(r.oid) ?? []]),
  )
}

/** Key of `readTargetColumns`' map. */
export function targetColumnsKey(schema: string, name: string): string {
  return `${schema}\u001f${name}`
}
