/**
 * Relations a `plpgsql` or `sql` function body names, found by scanning its text. The catalog
 * records no dependency for these bodies (only v14+ SQL-standard bodies, `BEGIN ATOMIC` /
 * `RETURN expr`, are tracked in pg_depend), so this is a heuristic, and says so: it looks for a
 * relation name right after FROM, JOIN, INTO, UPDATE, TABLE, ONLY or TRUNCATE, qualified or not,
 * and resolves an unqualified name against the function's own `search_path` setting, else its own
 * schema then `public`. It misses names built with EXECUTE format(…) and every table after the
 * first in `FROM a, b`; it may name a relation that only shares a PL/pgSQL variable's name. Pure,
 * no server needed.
 */

/** A relation the scan may resolve a name to. */
export interface ScannedRelation {
  readonly oid: number
  readonly schema: string
  readonly name: string
}

const IDENT = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*)`
const REFERENCE = new RegExp(
  String.raw`\b(?:from|join|into|update|table|only|truncate)\s+(${IDENT})(?:\s*\.\s*(${IDENT}))?`,
  'gi',
)
const COMMENTS = /--[^\n]*|\/\*[\s\S]*?\*\//g

/** An identifier as the server folds it: quoted keeps its case, unquoted goes to lower case. */
function fold(ident: string): string {
  return ident.startsWith('"') ? ident.slice(1, -1).replace(/""/g, '"') : ident.toLowerCase()
}

/** Schemas an unqualified name is looked up in, from a `search_path=…` entry of proconfig. */
export function searchPathOf(
  proconfig: readonly string[] | null,
  ownSchema: string,
): readonly string[] {
  const entry = proconfig?.find((c) => c.startsWith('search_path='))
  if (entry === undefined) return [ownSchema, 'public']
  return entry
    .slice('search_path='.length)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '' && s !== '"$user"' && s !== '$user' && s !== 'pg_temp')
    .map(fold)
}

/** Relations named in `body`, resolved through `relations` (keyed `schema.name`). */
export function functionBodyReferences(
  body: string,
  searchPath: readonly string[],
  relations: ReadonlyMap<string, ScannedRelation>,
): ScannedRelation[] {
  const found = new Map<number, ScannedRelation>()
  for (const m of body.replace(COMMENTS, ' ').matchAll(REFERENCE)) {
    const first = m[1]
    if (first === undefined) continue
    const second = m[2]
    if (second !== undefined) {
      const r = relations.get(`${fold(first)}.${fold(second)}`)
      if (r !== undefined) found.set(r.oid, r)
      continue
    }
    const name = fold(first)
    for (const schema of searchPath) {
      const r = relations.get(`${schema}.${name}`)
      if (r !== undefined) {
        found.set(r.oid, r)
        break
      }
    }
  }
  return [...found.values()]
}
