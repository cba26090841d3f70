// Staged policies in the engine: the enforced verdict is the one without them, the pending verdict evaluates them
// with the enforced policies as Felix does for flow logs; every staged case file in test/reach-cases cites its
// documentation and states both verdicts; `reach` prints the pending verdict and fails on a pending mismatch.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { loadCase, runCase } from './caseFile.ts'
import { CaseError } from './model.ts'

const ROOT = join(import.meta.dirname, '../../..')
const CASES_DIR = join(ROOT, 'test/reach-cases')
const files = readdirSync(CASES_DIR).filter((f) => f.endsWith('.json') && f.includes('staged')).sort()
type Case = { policies: Array<{ kind: string; metadata?: { name?: string; namespace?: string }; spec?: { stagedAction?: string } }>; expected: boolean[]; expectedPending?: boolean[]; source: string[]; probes: unknown[] }

const ENFORCED_KIND: Record<string, string> = { StagedNetworkPolicy: 'NetworkPolicy', StagedGlobalNetworkPolicy: 'GlobalNetworkPolicy', StagedKubernetesNetworkPolicy: 'NetworkPolicy' }
/** Every staged policy of the case is the exact twin of an enforced one (same kind, name, namespace and spec). */
function onlyTwins(c: Case): boolean {
  const staged = c.policies.filter((p) => p.kind.startsWith('Staged'))
  return staged.length > 0 && staged.every((p) => {
    const { stagedAction: _action, ...spec } = p.spec ?? {}
    return c.policies.some((q) => q.kind === ENFORCED_KIND[p.kind] && q.metadata?.name === p.metadata?.name && q.metadata?.namespace === p.metadata?.namespace && JSON.stringify(q.spec) === JSON.stringify(spec))
  })
}
const read = (f: string): Case => JSON.parse(readFileSync(join(CASES_DIR, f), 'utf8')) as Case

describe('staged case files', () => {
  it('cover the three staged kinds of v3.31.7 and both stagedActions', () => {
    const all = files.map(read)
    const kinds = new Set(all.flatMap((c) => c.policies.map((p) => p.kind)))
    for (const k of ['StagedNetworkPolicy', 'StagedGlobalNetworkPolicy', 'StagedKubernetesNetworkPolicy']) assert.ok(kinds.has(k), k)
    const actions = new Set(all.flatMap((c) => c.policies.map((p) => p.spec?.stagedAction).filter(Boolean)))
    assert.deepEqual([...actions].sort(), ['Delete', 'Set'])
  })

  for (const file of files) {
    it(file, () => {
      const c = read(file)
      assert.ok(c.expectedPending, `${file} has no "expectedPending"`)
      assert.ok(c.source.some((s) => s.startsWith('https://docs.tigera.io/')), `${file} cites a docs.tigera.io page`)
      if (onlyTwins(c)) assert.deepEqual(c.expectedPending, c.expected, `${file}: a staged twin of an enforced policy changes no pending verdict`)
      else assert.ok(c.expectedPending.some((p, i) => p !== c.expected[i]), `${file}: the staged policy changes at least one pending verdict`)
      const run = runCase(c)
      assert.deepEqual(run.mismatches, [], JSON.stringify(run.mismatches, null, 2))
      assert.deepEqual(run.results.map((r) => r.pending?.allowed), c.expectedPending)

      // staged policies never change the enforced verdict: the case without them decides the same
      const withoutStaged = { ...c, policies: c.policies.filter((p) => !p.kind.startsWith('Staged')), expectedPending: undefined }
      assert.deepEqual(runCase(withoutStaged).results.map((r) => r.allowed), run.results.map((r) => r.allowed))
    })
  }
})

describe('staged policies: validation', () => {
  const base = read('calico-26-staged-network-policy.json')
  const staged = base.policies.find((p) => p.kind === 'StagedNetworkPolicy') as { spec: Record<string, unknown> }
  const withStaged = (spec: Record<string, unknown>) => ({ ...base, policies: base.policies.map((p) => (p === staged ? { ...p, spec } : p)) })

  it('refuses an unknown stagedAction, an unknown tier and an enforced-kind mistake, with the path', () => {
    assert.throws(() => loadCase(withStaged({ ...staged.spec, stagedAction: 'Apply' })), (e: unknown) => e instanceof CaseError && /stagedAction/.test(e.message))
    assert.throws(() => loadCase(withStaged({ ...staged.spec, tier: 'nope' })), /tier "nope" does not exist/)
    assert.throws(() => loadCase(withStaged({ ...staged.spec, podSelector: {} })), /policies\[1\] \(StagedNetworkPolicy x\/default-deny\)/)
  })

  it('a Delete is validated too, and never evaluated', () => {
    assert.throws(() => loadCase(withStaged({ ...staged.spec, stagedAction: 'Delete', selector: "app = 'x'" })), /bad selector/)
    const loaded = loadCase({ ...withStaged({ ...staged.spec, stagedAction: 'Delete' }), expectedPending: undefined })
    assert.equal(loaded.policies.pending, undefined)
    assert.deepEqual(loaded.policies.stagedDeletes, ['x/default-deny'])
  })

  it('refuses expectedPending without a staged policy to give one, or of the wrong length', () => {
    const enforcedOnly = { ...base, policies: base.policies.filter((p) => !p.kind.startsWith('Staged')) }
    assert.throws(() => loadCase(enforcedOnly), /expectedPending: the case has no staged policy/)
    assert.throws(() => loadCase({ ...base, expectedPending: [true] }), /expectedPending: has 1 entries but there are 5 probes/)
  })

  it('without staged policies results carry no pending verdict (the reach contract is unchanged)', () => {
    const run = runCase({ ...base, policies: base.policies.filter((p) => !p.kind.startsWith('Staged')), expectedPending: undefined })
    for (const r of run.results) assert.deepEqual(Object.keys(r), ['from', 'to', 'port', 'protocol', 'allowed', 'reason'])
  })
})

describe('reach CLI with staged policies', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'reach-staged-'))
  after(() => rmSync(tmp, { recursive: true, force: true }))
  const reach = (file: string) => spawnSync(process.execPath, [join(ROOT, 'scripts/reach.ts'), file], { cwd: ROOT, encoding: 'utf8' })

  it('prints the pending verdict beside the enforced one', () => {
    const r = reach(join(CASES_DIR, 'calico-26-staged-network-policy.json'))
    assert.equal(r.status, 0, r.stderr)
    const out = JSON.parse(r.stdout) as { results: Array<{ allowed: boolean; pending: { allowed: boolean; reason: string } }> }
    assert.deepEqual(Object.keys(out.results[0] ?? {}), ['from', 'to', 'port', 'protocol', 'allowed', 'reason', 'pending'])
    assert.equal(out.results[0]?.allowed, true)
    assert.equal(out.results[0]?.pending.allowed, false)
    assert.match(out.results[0]?.pending.reason ?? '', /end of tier default: selected by x\/staged:default-deny/)
  })

  it('exits 1 naming the pending mismatch', () => {
    const c = read('calico-26-staged-network-policy.json')
    const file = join(tmp, 'pending-mismatch.json')
    writeFileSync(file, JSON.stringify({ ...c, expectedPending: c.expectedPending?.map((p, i) => (i === 0 ? !p : p)) }))
    const r = reach(file)
    assert.equal(r.status, 1)
    assert.match(r.stderr, /MISMATCH probes\[0\] x\/b → x\/a 80\/TCP: expected allowed, engine says denied \(pending \(staged policies as if enforced\)/)
    const out = JSON.parse(r.stdout) as { mismatches: Array<{ index: number; verdict?: string }> }
    assert.deepEqual(out.mismatches.map((m) => [m.index, m.verdict]), [[0, 'pending']])
  })
})
