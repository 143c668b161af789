/** The process exit codes of `pgferry`, documented in `--help`. */
export const EXIT = {
  /** Done: the command did what it was asked (a precheck that passed, a migration that finished). */
  OK: 0,
  /** The migration or the check failed (a failed precheck, a stage error, a server error). */
  FAILED: 1,
  /** Bad usage: an unknown flag, a missing or invalid value. */
  USAGE: 2,
  /**
   * Paused by `pgferry pause` from another process (or terminal): stopped as on Ctrl-C, the task
   * resumable.
   */
  PAUSED: 3,
  /** Interrupted (SIGINT/SIGTERM) before the task reached a resumable sync; it is paused. */
  INTERRUPTED: 130,
} as const
