// The expectation offline (manifests/, every step applied) is the lab's least privilege, cell by cell.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { reachMatrix, stepMatrices } from '../catalog/matrix.ts'
import { expectedFromManifests, matchesSelector, probePlan } from './expected.ts'
import { expectedLine } from './cells.ts'

const repoRoot = join(import.meta.dirname, '..', '..', '..')
const hasManifests = existsSync(join(repoRoot, 'manifests', '50-policy-default-deny.yaml'))

test('an unreadable manifests folder gives every cell "unknown" with the reason, not a crash', () => {
  const e = expectedFromManifests({ ...reachMatrix, manifestsDir: 'no-such-dir' }, repoRoot)
  assert.ok(e.cells.every((c) => c.expected === 'unknown'))
  assert.match(e.notes[0] ?? '', /could not read no-such-dir/)
  assert.doesNotThrow(() => expectedLine.parse(e))
})

test('selectors as the catalog writes them', () => {
  assert.ok(matchesSelector({ app: 'reviews', version: 'v2' }, 'app=reviews,version=v2'))
  assert.ok(!matchesSelector({ app: 'reviews', version: 'v1' }, 'app=reviews,version=v2'))
  assert.ok(matchesSelector({ app: 'x' }, 'app!=y'))
  assert.ok(matchesSelector({ 'k8s-app': 'kube-dns' }, 'k8s-app'))
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

test('offline: the engine on manifests/ gives exactly the intended flows', { skip: hasManifests ? false : 'no manifests' }, () => {
  const e = expectedFromManifests(reachMatrix, repoRoot)
  assert.doesNotThrow(() => expectedLine.parse(e), 'what the catalog message carries passes the deck’s schema')
  assert.equal(e.source, 'manifests')
  assert.match(e.notes[0] ?? '', /not read from a cluster/)
  const allowed = e.cells.filter((c) => c.expected === 'allowed').map((c) => `${c.from}→${c.to}`).sort()
  const dnsFromPods = reachMatrix.sources.filter((s) => s.pod).map((s) => `${s.id}→dns`)
  const outsideDns = reachMatrix.sources.filter((s) => s.outside).map((s) => `${s.id}→dns`) // not probed; kube-system has no policy
  const intended = [
    'productpage→details', 'productpage→reviews', 'reviews-v2→ratings', 'reviews-v3→ratings', 'host1→productpage',
    // the alpine of "default" has no policy; only dev1 is locked down: it still reaches CoreDNS, nothing of bookinfo
    ...dnsFromPods, ...outsideDns,
  ].sort()
  assert.deepEqual(allowed, intended)
  assert.ok(e.cells.every((c) => c.expected === 'allowed' || c.expected === 'denied'), 'no mixed or unknown cell in the lab')
  const hairpin = e.cells.find((c) => c.from === 'productpage' && c.to === 'productpage')
  assert.match(hairpin?.reason ?? '', /hairpin/)
  const lb = e.cells.find((c) => c.from === 'host1' && c.to === 'productpage')
  assert.match(lb?.reason ?? '', /LoadBalancer 198\.19\.48\.10:80/)
  assert.equal(e.rows.length, 10)
  assert.equal(e.cols.length, 5)
})

test('each demo moment has its own offline expectation: nothing denied before the first step, least privilege after the last', async () => {
  const before = expectedFromManifests(stepMatrices[0]!, repoRoot)
  const verdicts = (line: typeof before, from: string, to: string) => line.cells.find((c) => c.from === from && c.to === to)?.expected
  assert.equal(verdicts(before, 'alpine-default', 'productpage'), 'allowed', 'open baseline')
  assert.equal(verdicts(before, 'ratings', 'productpage'), 'allowed')
  const after = expectedFromManifests(reachMatrix, repoRoot)
  assert.equal(verdicts(after, 'alpine-default', 'productpage'), 'denied')
  assert.equal(verdicts(after, 'ratings', 'productpage'), 'denied')
  const step1 = expectedFromManifests(stepMatrices[1]!, repoRoot)
  assert.equal(verdicts(step1, 'productpage', 'details'), 'denied', 'default deny alone breaks the app')
  assert.match(step1.notes.join(' '), /policy steps 1–1 applied/)
})
