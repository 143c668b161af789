/**
 * What a fix in the words of the library looks like, and what a command-line one looks like
 * (issue 14: every fix a CLI user reads names a command or a flag). Shared by the scan of src/
 * (cli-fixes.test.ts) and of the docs a CLI user reads (docs.test.ts).
 */

/** Library-call forms: an API call, a method on a task, a config field set in code. */
export const LIBRARY_FORMS: readonly RegExp[] = [
  /\b(createTask|openTask|listTasks|getTask|deleteTask|pauseTask|precheck|migrateSchema|fullLoad|startIncremental|complete|verify|taskStatus|taskEvents|taskSlots)\s*\(/,
  /\btask\.(run|close|delete|complete|precheck|resume|refresh|pause)\b/,
  /(\b(source|target)|\$\{…\})\.(ssl|password) =/,
  /\b(PRECHECK_ITEM_IDS|report\.items|report\.closure)\b/,
  /\(\{ *(skip|targetFreeBytes|maxTransferSeconds|store) *\}\)|set includeDependencies|\(includeDependencies\)/,
  /\bobjects: \{|\breplicaIdentity: '/,
]

/** A CLI form: a pgferry command or a --flag. */
export const CLI_FORM =
  /\bpgferry (run|precheck|list|status|events|pause|resume|complete|verify|delete)\b|(^|[\s(`'])--[a-z][a-z-]+/

/** The lines of `text` that hold a library form. */
export function libraryFormLines(text: string): string[] {
  return text.split('\n').filter((line) => LIBRARY_FORMS.some((re) => re.test(line)))
}
