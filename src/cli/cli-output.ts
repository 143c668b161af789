/**
 * Where the CLI writes. On a TTY (and without --json) one "live" line at the bottom is redrawn in
 * place (progress bars, lag); other lines are printed above it. Otherwise every update is a plain
 * line. Everything passes through the SecretFilter first.
 *
 * With --json every line on stdout, of every command, has one shape (README, "JSON output"):
 * `{"type": KIND, "at": ISO-8601 time, ...fields}`. KIND is an event name (`load:progress`,
 * `warning`, …) or what the command prints (`status`, `task`, `precheck`, `verify`, `message`,
 * `error`, …); `at` is when it happened (a stored event's own time); bigints are decimal strings.
 */
import type { SecretFilter } from './secret-filter.js'

/** One --json line: its kind and time first, then its fields. */
export interface JsonLine {
  readonly type: string
  readonly at: string
  readonly [field: string]: unknown
}

/**
 * The JSON line for `fields` of kind `type` at `at`. `type` and `at` win over fields of the same
 * name, so no payload can change a line's shape.
 */
export function jsonLineOf(type: string, fields: object = {}, at: Date = new Date()): JsonLine {
  const when = at.toISOString()
  return Object.assign({ type, at: when }, fields, { type, at: when })
}

/** A JSON line as text: bigints as decimal strings, dates as ISO text. */
export function jsonLineText(line: JsonLine): string {
  return JSON.stringify(line, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))
}

/** The small part of a stream the CLI writes to. */
export interface WritableText {
  write(text: string): unknown
  readonly isTTY?: boolean
}

/** The CLI's stdout and stderr. */
export class CliOutput {
  readonly #out: WritableText
  readonly #err: WritableText
  readonly #secrets: SecretFilter
  /** Whether to draw a live line (stdout is a TTY and the output is not JSON). */
  readonly live: boolean
  /** Whether the output is JSON lines. */
  readonly json: boolean
  /** `--verbose`: also every event the default output leaves out. */
  readonly verbose: boolean
  /** `--quiet`: stdout says nothing, so what explains a failure goes to stderr. */
  readonly quiet: boolean
  #status = ''

  constructor(
    out: WritableText,
    err: WritableText,
    secrets: SecretFilter,
    json: boolean,
    verbose = false,
    quiet = false,
  ) {
    this.#out = out
    this.#err = err
    this.#secrets = secrets
    this.json = json
    this.verbose = verbose
    this.quiet = quiet
    this.live = out.isTTY === true && !json
  }

  /** A line on stdout (above the live line); with --json, a `message` line `{"text": …}`. */
  line(text: string): void {
    if (this.json) {
      this.jsonLine('message', { text })
      return
    }
    this.#write(this.#out, this.#secrets.clean(text) + '\n')
  }

  /** Control text for the terminal (a screen clear): written only when stdout is a live TTY. */
  raw(text: string): void {
    if (this.live) this.#out.write(text)
  }

  /** A line on stderr. */
  error(text: string): void {
    this.#write(this.#err, this.#secrets.clean(text) + '\n')
  }

  /** One --json line of kind `type` (see {@link jsonLineOf}); `at` defaults to now. */
  jsonLine(type: string, fields: object = {}, at?: Date): void {
    const text = jsonLineText(jsonLineOf(type, fields, at))
    this.#write(this.#out, this.#secrets.clean(text) + '\n')
  }

  /**
   * The live line: redrawn in place on a TTY; on other outputs printed as a plain line when
   * `plainToo` (callers throttle those).
   */
  status(text: string, plainToo = false): void {
    const clean = this.#secrets.clean(text)
    if (this.live) {
      this.#status = clean
      this.#out.write(`\r\x1b[2K${clean}`)
    } else if (plainToo) {
      this.#out.write(clean + '\n')
    }
  }

  /** Remove the live line (before exiting, or when a phase ends). */
  clearStatus(): void {
    if (this.live && this.#status !== '') this.#out.write('\r\x1b[2K')
    this.#status = ''
  }

  #write(stream: WritableText, text: string): void {
    if (this.live && this.#status !== '') {
      this.#out.write('\r\x1b[2K')
      stream.write(text)
      this.#out.write(this.#status)
    } else {
      stream.write(text)
    }
  }
}
