/**
 * The session a definition is deparsed (source) or replayed (target) under: a `search_path` naming
 * the selection's renamed schemas, so that a reference to one is written unqualified on the source
 * and resolves to its new name on the target. Deparsed text includes more than DDL:
 * `pg_get_function_identity_arguments` names a type of a renamed schema unqualified only under it,
 * so the manifest's functions are read under it too. pg_catalog goes last so a function of a
 * renamed schema that shares a built-in's name (`normalize`) still deparses unqualified. All
 * versions ≥ 10.
 */
import type pg from 'pg'
import { quoteIdent } from '../pg/quote.js'

/** `search_path` naming `schemas`, then pg_catalog ('' when none). */
function searchPath(schemas: readonly string[]): string {
  return schemas.length === 0 ? '' : [...schemas.map(quoteIdent), 'pg_catalog'].join(', ')
}

/** Set the deparse session on `client`: search_path over `schemas`, no function body checks. */
export async function setDeparseSession(
  client: pg.Client,
  schemas: readonly string[],
): Promise<void> {
  await client.query(
    `SELECT set_config('search_path', $1, false), set_config('check_function_bodies', 'off', false),
            set_config('client_min_messages', 'warning', false)`,
    [searchPath(schemas)],
  )
}
