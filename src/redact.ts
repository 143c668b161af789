/**
 * Password hygiene. Every message, event and log line pgferry produces passes through `redact`, so
 * a URL or a `password=` pair that slipped into an error text never reaches a caller.
 */

const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)([^@/?#\s]*)(@)/gi
const KEYWORD_PASSWORD = /(\bpassword\s*[=:]\s*)('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s,;&]+)/gi
const JSON_PASSWORD = /("password"\s*:\s*)"(?:[^"\\]|\\.)*"/gi
const PASSWORD_SQL = /(\bPASSWORD\s+)('(?:[^']|'')*')/gi

const known = new Set<string>()

/** Remember a secret so that `redact` removes it wherever it appears verbatim. */
export function registerSecret(secret: string | undefined): void {
  if (secret !== undefined && secret.length >= 4) known.add(secret)
}

/** Remove passwords from a text: URL userinfo, `password=…` pairs, `PASSWORD '…'` in SQL. */
export function redact(text: string): string {
  let out = text
    .replace(URL_PASSWORD, '$1***$3')
    .replace(JSON_PASSWORD, '$1"***"')
    .replace(KEYWORD_PASSWORD, '$1***')
    .replace(PASSWORD_SQL, "$1'***'")
  for (const secret of known) {
    if (out.includes(secret)) out = out.split(secret).join('***')
  }
  return out
}
