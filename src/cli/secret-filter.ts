/**
 * Every line the CLI prints passes through a SecretFilter: the passwords it was given (in a URL or
 * an environment variable) are replaced wherever they appear, and so is the password of any URL.
 * The library redacts its own messages; this covers what the CLI itself writes and errors that
 * do not come from the library.
 */

const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)[^@/?#\s]*@/gi
/** Shorter secrets would blank out ordinary text; such passwords are not worth protecting anyway. */
const MIN_SECRET_LENGTH = 3

/** Removes known passwords and URL passwords from text. */
export class SecretFilter {
  readonly #secrets = new Set<string>()

  /** Remember a secret (and its URL-encoded form) so that `clean` removes it. */
  add(secret: string | undefined): void {
    if (secret === undefined || secret.length < MIN_SECRET_LENGTH) return
    this.#secrets.add(secret)
    const encoded = encodeURIComponent(secret)
    if (encoded !== secret) this.#secrets.add(encoded)
  }

  /** The text with every URL's password and every known secret replaced by `***`. */
  clean(text: string): string {
    let out = text.replace(URL_PASSWORD, '$1***@')
    // longest first, so that a secret containing another is removed whole
    for (const secret of [...this.#secrets].sort((a, b) => b.length - a.length)) {
      if (out.includes(secret)) out = out.split(secret).join('***')
    }
    return out
  }
}
