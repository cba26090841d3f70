// The expectation a matrix shows before any run: the engine on manifests/, per demo moment, as matrix lines the deck
// reads. With every step applied it is the lab's least privilege, cell by cell (the flows declared once in
// test/support/leastPrivilege.ts).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { reachMatrix, stepMatrices } from '../catalog/matrices.ts'
import { policySteps } from '../catalog/policySteps.ts'
import { REPO_ROOT } from '../manifests.ts'
import { intendedDnsRows, intendedMatrixCells, STEP_OPENS } from '../../../test/support/leastPrivilege.ts'
import { probePlan } from './model.ts'
import { offlineExpectation } from './offline.ts'
import { readMatrix } from './reachability.ts'
import type { Reachability } from './reachability.ts'
import { printReachability } from './truthTable.ts'

const offline = (action = reachMatrix, root = REPO_ROOT): Reachability => {
  const reader = readMatrix(offlineExpectation(action, root))
  assert.equal(reader.rejected, 0, 'every line passes the deck’s schema')
  assert.ok(reader.reachability, 'a matrix header')
  return reader.reachability
}
const expectedAt = (r: Reachability, from: string, to: string) => r.cell(from, to)?.opinions.expected?.verdict

test('an unreadable manifests folder gives every cell "unknown" with the reason, not a crash', () => {
  const e = offline({ ...reachMatrix, manifestsDir: 'no-such-dir' })
  assert.ok([...e.cells.values()].every((c) => c.opinions.expected?.verdict === 'unknown'))
  assert.match(e.header.expected.notes[0] ?? '', /could not read no-such-dir/)
})

test('outside clients: DNS is never probed; the other range only at the LoadBalancer', () => {
  const [host1, other] = reachMatrix.sources.filter((s) => s.outside)
  const [productpage, details, , , dns] = reachMatrix.targets
  assert.equal(probePlan(host1!, productpage!).probed, true)
  assert.equal(probePlan(host1!, details!).probed, true)
  assert.equal(probePlan(host1!, dns!).probed, false)
  assert.equal(probePlan(other!, productpage!).probed, true)
  assert.equal(probePlan(other!, details!).probed, false)
  assert.equal(probePlan(reachMatrix.sources[0]!, dns!).probed, true)
})

test('offline: the engine on manifests/ gives exactly the intended flows', () => {
  const e = offline()
  assert.equal(e.header.expected.source, 'manifests')
  assert.match(e.header.expected.notes[0] ?? '', /not read from a cluster/)
  const cells = [...e.cells.values()]
  const allowed = cells.filter((c) => c.opinions.expected?.verdict === 'allowed').map((c) => `${c.from}→${c.to}`).sort()
  // DNS: dev1's callers; the alpine of "default" (no policy selects it) and the outside rows (not probed; kube-system
  // has no policy) still reach CoreDNS
  const dns = intendedDnsRows().map((row) => `${row}→dns`)
  assert.deepEqual(allowed, [...intendedMatrixCells(), ...dns].sort(), printReachability(e))
  assert.ok(cells.every((c) => c.opinions.expected?.verdict === 'allowed' || c.opinions.expected?.verdict === 'denied'), 'no mixed or unknown cell in the lab')
  assert.match(e.cell('productpage', 'productpage')?.opinions.expected?.reason ?? '', /hairpin/)
  assert.match(e.cell('host1', 'productpage')?.opinions.expected?.reason ?? '', /LoadBalancer 198\.19\.48\.10:80/)
  assert.equal(e.rows.length, 10)
  assert.equal(e.cols.length, 5)
  assert.equal(e.cell('other-range', 'details')?.unprobed !== undefined, true)
})

test('each demo moment has its own offline expectation: nothing denied before the first step, least privilege after the last', () => {
  const before = offline(stepMatrices[0])
  assert.equal(expectedAt(before, 'alpine-default', 'productpage'), 'allowed', 'open baseline')
  assert.equal(expectedAt(before, 'ratings', 'productpage'), 'allowed')
  const after = offline(reachMatrix)
  assert.equal(expectedAt(after, 'alpine-default', 'productpage'), 'denied')
  assert.equal(expectedAt(after, 'ratings', 'productpage'), 'denied')
  // step 1 stages the default deny: nothing is denied yet, but the engine's pending verdict says what would be
  const staged = offline(stepMatrices[1])
  assert.equal(expectedAt(staged, 'productpage', 'details'), 'allowed', 'a staged policy changes no traffic')
  assert.equal(staged.cell('productpage', 'details')?.opinions.expected?.engine?.pending?.verdict, 'denied', 'it would deny')
  assert.equal(staged.cell('productpage', 'dns')?.opinions.expected?.engine?.pending?.verdict, 'allowed', 'DNS stays allowed for a caller')
  assert.equal(staged.cell('details', 'dns')?.opinions.expected?.engine?.pending?.verdict, 'denied', 'and would be denied to a pod that calls no one')
  assert.match(staged.cell('productpage', 'details')?.opinions.expected?.engine?.pending?.ingress.policy ?? '', /^$/, 'denied at the end of the tier, by no rule')
  assert.equal(staged.cell('productpage', 'details')?.opinions.expected?.engine?.pending?.egress.decidedBy, 'end-of-tier')
  assert.match(staged.header.expected.notes.join(' '), /policy steps 1–1 applied/)
  const step2 = offline(stepMatrices[2])
  assert.equal(expectedAt(step2, 'productpage', 'details'), 'denied', 'default deny alone breaks the app')
  assert.equal(step2.cell('productpage', 'details')?.opinions.expected?.engine?.pending?.verdict, 'denied', 'the staged twin stays: its pending verdict is the enforced one')
})

// Each policy step, on the engine's expectation of its demo moment: the cells whose verdict differs from the moment
// before are exactly the flow the step opens (STEP_OPENS, declared once in test/support/leastPrivilege.ts). The staged
// step changes no verdict but its pending one, and those pending denials are exactly what the enforced step closes.
test('each policy step changes exactly its own cells of the matrix', () => {
  const moments = [stepMatrices[0]!, ...policySteps.map((_, i) => (i + 1 < stepMatrices.length ? stepMatrices[i + 1]! : reachMatrix))].map((a) => offline(a))
  const verdicts = (r: Reachability, which: 'enforced' | 'pending') => new Map<string, string | undefined>([...r.cells.values()].filter((c) => !c.unprobed).map((c) => {
    const expected = c.opinions.expected
    return [`${c.from}→${c.to}`, which === 'pending' ? (expected?.engine?.pending?.verdict ?? expected?.verdict) : expected?.verdict]
  }))
  const changed = (a: Map<string, unknown>, b: Map<string, unknown>) => [...b.keys()].filter((k) => a.get(k) !== b.get(k)).sort()
  const closedByDeny = changed(verdicts(moments[0]!, 'enforced'), verdicts(moments[2]!, 'enforced'))
  policySteps.forEach((step, i) => {
    const before = moments[i]!
    const after = moments[i + 1]!
    const enforced = changed(verdicts(before, 'enforced'), verdicts(after, 'enforced'))
    const pending = changed(verdicts(before, 'pending'), verdicts(after, 'pending'))
    if (step.id === 'default-deny-staged') {
      assert.deepEqual(enforced, [], 'a staged policy changes no traffic')
      assert.deepEqual(pending, closedByDeny, 'its pending verdicts are exactly what the enforced step closes')
      return
    }
    assert.ok(enforced.length > 0, `${step.title}: the matrix changes`)
    if (step.id === 'default-deny') {
      for (const cell of enforced) assert.equal(verdicts(after, 'enforced').get(cell), 'denied', `${cell}: the deny only closes`)
      assert.ok(enforced.includes('ratings→productpage') && enforced.includes('details→dns') && !enforced.includes('productpage→dns'), 'closes dev1, and DNS for pods that call no one')
      return
    }
    assert.deepEqual(enforced, [...STEP_OPENS[step.id]].sort(), `${step.title}: exactly its flow changes\n${printReachability(after)}`)
    for (const cell of enforced) assert.equal(verdicts(after, 'enforced').get(cell), 'allowed', `${cell} opens`)
    assert.deepEqual(pending, enforced, 'the pending verdict moves with it')
  })
})
