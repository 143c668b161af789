/**
 * Which of a list of functions (regprocedure text) the current user may not execute, in the
 * connected database (function ACLs are per database). All versions ≥ 10; a signature the server
 * does not know counts as not executable.
 */
import type pg from 'pg'

/** The signatures of `functions` the current user lacks EXECUTE on. */
export async function readFunctionPrivileges(
  client: pg.Client,
  functions: readonly string[],
): Promise<string[]> {
  const r = await client.query<{ fn: string }>(
    `SELECT f AS fn FROM unnest($1::text[]) AS f
      WHERE to_regprocedure(f) IS NULL
         OR NOT has_function_privilege(to_regprocedure(f), 'EXECUTE')`,
    [functions],
  )
  return r.rows.map((x) => x.fn)
}
