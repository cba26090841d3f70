// Every case file in test/reach-cases goes through runCase — the same path as `npm run reach -- CASE.json` —
// and its results must equal its "expected" list exactly. Each case cites the documentation it encodes.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { runCase } from './caseFile.ts'

const CASES_DIR = join(import.meta.dirname, '../../../test/reach-cases')
const files = readdirSync(CASES_DIR).filter((f) => f.endsWith('.json')).sort()

describe('reach case files', () => {
  it('exist for Kubernetes and Calico semantics', () => {
    assert.ok(files.filter((f) => f.startsWith('k8s-')).length >= 15, 'Kubernetes cases')
    assert.ok(files.filter((f) => f.startsWith('calico-')).length >= 20, 'Calico cases')
  })

  for (const file of files) {
    it(file, () => {
      const json = JSON.parse(readFileSync(join(CASES_DIR, file), 'utf8')) as { expected?: boolean[]; source?: unknown; probes: unknown[] }
      assert.ok(json.expected, `${file} has no "expected"`)
      assert.ok(
        typeof json.source === 'string' || (Array.isArray(json.source) && json.source.length > 0),
        `${file} cites no documentation in "source"`,
      )
      const expected = json.expected
      const allowedBothWays = expected.some((e) => e) && expected.some((e) => !e)
      assert.ok(allowedBothWays || expected.length <= 4, `${file} should exercise both verdicts`)
      const run = runCase(json)
      assert.equal(run.results.length, json.probes.length)
      const got = run.results.map((r) => r.allowed)
      const diff = run.results
        .map((r, i) => (r.allowed === expected[i] ? '' : `  probes[${i}] ${r.from} → ${r.to} ${r.port}/${r.protocol}: expected ${expected[i]}, got ${r.allowed} (${r.reason})`))
        .filter((l) => l !== '')
      assert.deepEqual(got, expected, `${file}:\n${diff.join('\n')}`)
      assert.deepEqual(run.mismatches, [])
      for (const r of run.results) assert.ok(r.reason.length > 0)
    })
  }
})
