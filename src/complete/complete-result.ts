/**
 * Options for `complete`.
 * @public
 */
export interface CompleteOptions {
  readonly signal?: AbortSignal
  /** Wait until the data gap is 0 bytes and the lag 0 s before cutting over. Defaults to `true`. */
  readonly waitForZeroLag?: boolean
}

/**
 * What `complete` returns.
 * @public
 */
export interface CompleteResult {
  readonly sequencesSet: number
  readonly slotsDropped: number
  readonly publicationsDropped: number
}
