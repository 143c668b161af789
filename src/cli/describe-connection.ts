/**
 * How the CLI names a server in its output: `host:port/database`, never the user, the password or
 * the query string of the URL.
 */

/** `host:port/database` of a postgres:// URL (or `(invalid URL)`). */
export function describeConnection(url: string): string {
  try {
    const u = new URL(url)
    const host = u.hostname === '' ? 'localhost' : u.hostname
    const db = decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres'
    return `${host}:${u.port === '' ? '5432' : u.port}/${db}`
  } catch {
    return '(invalid URL)'
  }
}
