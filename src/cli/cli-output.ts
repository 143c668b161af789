/**
 * Where the CLI writes. On a TTY (and without --json) one "live" line at the bottom is redrawn in
 * place (progress bars, lag); other lines are printed above it. Otherwise every update is a plain
 * line. Everything passes through the SecretFilter first.
 */
import type { SecretFilter } from './secret-filter.js'

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
  #status = ''

  constructor(
    out: WritableText,
    err: WritableText,
    secrets: SecretFilter,
    json: boolean,
    verbose = false,
  ) {
    this.#out = out
    this.#err = err
    this.#secrets = secrets
    this.json = json
    this.verbose = verbose
    this.live = out.isTTY === true && !json
  }

  /** A line on stdout (above the live line); with --json, a `{"message": …}` line. */
  line(text: string): void {
    if (this.json) {
      this.jsonLine({ message: text })
      return
    }
    this.#write(this.#out, this.#secrets.clean(text) + '\n')
  }

  /** A line on stderr. */
  error(text: string): void {
    this.#write(this.#err, this.#secrets.clean(text) + '\n')
  }

  /** One JSON value on one stdout line (bigint as a decimal string). */
  jsonLine(value: unknown): void {
    const text = JSON.stringify(value, (_k, v: unknown) =>
      typeof v === 'bigint' ? v.toString() : v,
    )
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
