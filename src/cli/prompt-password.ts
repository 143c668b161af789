/**
 * Ask for a password on the terminal, without echoing it: only when stdin is a TTY (a script or a
 * pipe gets an error with the fix instead of a hang).
 */

/** Whether a prompt can be shown (stdin and stderr are terminals). */
export function canPrompt(): boolean {
  return process.stdin.isTTY === true && process.stderr.isTTY === true
}

/** Read one line from the terminal with echo off; resolves with it. Ctrl-C exits 130. */
export function promptPassword(question: string): Promise<string> {
  const stdin = process.stdin
  // echo off before the question shows: whatever is typed once it shows is never echoed
  stdin.setRawMode(true)
  process.stderr.write(question)
  stdin.resume()
  return new Promise((resolve) => {
    let value = ''
    const onData = (data: Buffer): void => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          stdin.off('data', onData)
          stdin.setRawMode(false)
          stdin.pause()
          process.stderr.write('\n')
          resolve(value)
          return
        }
        if (ch === '\u0003') {
          stdin.setRawMode(false)
          process.stderr.write('\n')
          process.exit(130)
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1)
        else value += ch
      }
    }
    stdin.on('data', onData)
  })
}
