// Golden files: a test's output compared, exactly, with a committed file a human has read. After changing what is
// compared on purpose, regenerate with UPDATE_SNAPSHOTS=1 and read the diff before committing it.
import assert from 'node:assert/strict'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'

export function matchSnapshot(file: string, actual: string, what: string): void {
  if (process.env.UPDATE_SNAPSHOTS === '1') {
    writeFileSync(file, actual)
    return
  }
  assert.ok(existsSync(file), `${file} is missing: run with UPDATE_SNAPSHOTS=1 once and commit it`)
  assert.equal(actual, readFileSync(file, 'utf8'), `${what} differs from ${file} (if on purpose: UPDATE_SNAPSHOTS=1, then read the diff)`)
}
