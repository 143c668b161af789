/**
 * Where a resolved connection's password is held: beside it in a WeakMap, never on it, so that
 * logging or storing a resolved config never leaks one. The task layer holds the password when it
 * resolves the connection; `connect` reads it here, below the task layer, when it opens a client.
 */
import { registerSecret } from '../redact.js'
import type { ResolvedConnection } from '../model/resolved-connection.js'

/** A password as the config gave it: the string, or a function that returns it (secret managers). */
export type PasswordSource = string | (() => string | Promise<string>)

const passwords = new WeakMap<ResolvedConnection, PasswordSource>()

/** Hold `password` for `conn`; a string is registered for redaction at once. */
export function holdPassword(conn: ResolvedConnection, password: PasswordSource): void {
  passwords.set(conn, password)
  if (typeof password === 'string') registerSecret(password)
}

/** The password of a resolved connection, resolving a password function. */
export async function passwordOf(conn: ResolvedConnection): Promise<string | undefined> {
  const p = passwords.get(conn)
  if (p === undefined) return undefined
  const value = typeof p === 'function' ? await p() : p
  registerSecret(value)
  return value
}
