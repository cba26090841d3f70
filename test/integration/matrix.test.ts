// The probe matrix through the whole pipeline against the fake API server: the expectation computed from the
// policies live in the (fake) cluster, observations parsed from exec output, timeouts as denied, failures as errors,
// the worker-pool bound, the ephemeral debug containers, and the outside clients through an allow-listed host command.
import { test, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startFakeKube } from '../fakeKube/server.ts'
import type { FakeKube, KubeObject } from '../fakeKube/server.ts'
import type { DemoServer } from '../../demo-server/src/server.ts'
import { reachMatrix } from '../../demo-server/src/catalog/matrices.ts'
import { REACH_MATRIX_ID as MATRIX_ID } from '../../demo-server/src/catalog/policySteps.ts'
import type { ProbeMatrixAction } from '../../demo-server/src/catalog/types.ts'
import { execInPod } from '../../demo-server/src/kube/exec.ts'
import { podProbeCommand } from '../../demo-server/src/matrix/probe.ts'
import { readMatrix } from '../../demo-server/src/matrix/reachability.ts'
import type { Reachability } from '../../demo-server/src/matrix/reachability.ts'
import { printReachability } from '../../demo-server/src/matrix/truthTable.ts'
import type { ExitMessage } from '../../demo-server/src/protocol.ts'
import { connectDeck } from '../support/wsClient.ts'
import type { TestDeck } from '../support/wsClient.ts'
import { labObjects } from '../support/labObjects.ts'
import { demoServerOnFake } from '../support/demoServer.ts'
import { intendedMatrixCells } from '../support/leastPrivilege.ts'
import { labExecHandler, labPolicies, standInDocker } from '../support/matrixLab.ts'

const token = 'matrix-test-token-0123456789'
const origin = 'http://localhost:3030'
const T = 1 // probe timeout (s)
let fake: FakeKube
let server: DemoServer
const decks: TestDeck[] = []
const originalPath = process.env.PATH

const matrix: ProbeMatrixAction = { ...reachMatrix, probeTimeoutSeconds: T, timeoutMs: 60_000 }
const bounded: ProbeMatrixAction = { ...matrix, id: 'matrix-bounded', concurrency: 3 }

before(async () => {
  process.env.PATH = `${standInDocker()}:${originalPath}`
  fake = await startFakeKube({ objects: labObjects() })
  server = await demoServerOnFake(fake, { token, origin, context: 'kind-calico-lab', actions: [matrix, bounded] })
})
after(async () => {
  process.env.PATH = originalPath
  for (const deck of decks) deck.close()
  await server.close()
  await fake.close()
})
beforeEach(() => fake.onExec(labExecHandler({ deniedMs: 200, allowedMs: 5 })))

async function deck(): Promise<TestDeck> {
  const d = await connectDeck(server.url, token, origin)
  decks.push(d)
  return d
}
const exitOf = (action: string) => (m: { type: string; action?: string }): m is ExitMessage => m.type === 'exit' && m.action === action

/** Runs a matrix action from a deck and reads what the run store kept. */
async function runMatrix(action = MATRIX_ID): Promise<{ exit: ExitMessage; p: Reachability; d: TestDeck }> {
  const d = await deck()
  d.send({ type: 'run', action })
  const exit = await d.waitFor(exitOf(action), 30_000)
  const run = server.store.get(action).run!
  assert.equal(run.id, exit.runId)
  const reader = readMatrix(run.chunks.filter((c) => c.stream === 'stdout').map((c) => c.data).join(''))
  assert.equal(reader.rejected, 0)
  assert.ok(reader.reachability, 'the run wrote a matrix')
  return { exit, p: reader.reachability, d }
}
const expectedCells = (p: Reachability) => [...p.cells.values()].map((c) => ({ from: c.from, to: c.to, ...c.opinions.expected! }))
const observedCells = (p: Reachability) => [...p.cells.values()].flatMap((c) => (c.opinions.observed ? [{ from: c.from, to: c.to, ...c.opinions.observed }] : []))

function setPolicies(objects: object[]): void {
  for (const o of fake.objects() as KubeObject[]) {
    if (o.apiVersion === 'projectcalico.org/v3' || o.apiVersion === 'networking.k8s.io/v1') fake.remove(String(o.apiVersion), String(o.kind), o.metadata.namespace, o.metadata.name)
  }
  for (const o of objects) fake.upsert(o)
}

test('the catalog message carries the expectation from manifests/, labelled as such', async () => {
  const d = await deck()
  const catalog = await d.waitFor((m) => m.type === 'catalog')
  const entry = catalog.type === 'catalog' ? catalog.actions.find((a) => a.id === MATRIX_ID) : undefined
  assert.equal(entry?.kind, 'probe-matrix')
  const preview = readMatrix(entry?.preview ?? '').reachability
  assert.equal(preview?.header.expected.source, 'manifests')
  assert.equal(preview?.cells.size, 50)
  assert.ok([...(preview?.cells.values() ?? [])].every((c) => c.opinions.expected && !c.opinions.observed), 'expected only: nothing was probed')
  assert.match(entry?.shownCommand ?? '', /^kubectl exec -n dev1 <pod> -c reach-probe -- timeout \d+ wget -q -T \d+ -O \/dev\/null http:\/\/<service>/)
})

test('expected is computed from the policies in the API server: open without them, least privilege with them', async () => {
  setPolicies([])
  fake.onExec(labExecHandler({ deniedMs: 50, policies: false }))
  const open = (await runMatrix()).p
  assert.equal(open.header.expected.source, 'cluster')
  assert.deepEqual(open.header.expected.policies, [])
  const podCells = expectedCells(open).filter((c) => !c.from.startsWith('host') && !c.from.startsWith('other'))
  assert.ok(podCells.every((c) => c.verdict === 'allowed'), 'no policy: every pod reaches every pod (profile allows)')
  assert.match(podCells.find((c) => c.from === 'ratings' && c.to === 'productpage')!.reason, /allowed by profile kns\.dev1/)

  setPolicies(labPolicies())
  fake.onExec(labExecHandler({ deniedMs: 50 }))
  const { p } = await runMatrix()
  assert.equal(p.header.expected.policies.length, labPolicies().length, 'every policy resource the steps apply, the staged one included')
  const allowed = expectedCells(p).filter((c) => c.verdict === 'allowed' && c.to !== 'dns').map((c) => `${c.from}→${c.to}`).sort()
  assert.deepEqual(allowed, intendedMatrixCells())
  const denied = p.cell('alpine-dev1', 'productpage')!.opinions.expected!
  assert.match(denied.reason, /denied at end of tier default/)
  assert.equal(p.summary?.mismatches, 0, `the fake answers as the policies say\n${printReachability(p)}`)
  assert.equal(p.summary?.probes, 45)
})

test('observed: parsed from what the probe printed; timeouts are denied; a failed check is an error, never denied', async () => {
  setPolicies(labPolicies())
  const seen: string[] = []
  fake.onExec(labExecHandler({
    deniedMs: 100,
    override: (row, col, req) => {
      seen.push(`${row}→${col} ${req.container}`)
      if (row === 'productpage' && col === 'reviews') return { steps: [{ stderr: 'wget: server returned error: HTTP/1.1 404 Not Found\n' }], exitCode: 1 }
      if (row === 'reviews-v2' && col === 'ratings') return { steps: [{ stderr: "wget: can't connect to remote host (10.48.0.66): Connection refused\n" }], exitCode: 1 }
      if (row === 'alpine-dev1' && col === 'details') return { steps: [{ delayMs: 150 }], exitCode: 143 } // killed by `timeout`
      if (row === 'alpine-dev1' && col === 'reviews') return { steps: [{ stderr: "wget: bad address 'reviews.dev1.svc.cluster.local:9080'\n" }], exitCode: 1 }
      if (row === 'ratings' && col === 'dns') return { steps: [{ delayMs: 100 }, { stdout: ';; connection timed out; no servers could be reached\n' }], exitCode: 1 }
      if (row === 'alpine-default') return { httpStatus: 500 }
      if (row === 'details' && col === 'ratings') return { status: { metadata: {}, status: 'Failure', reason: 'InternalError', message: 'container reach-probe is not running' } }
      return undefined
    },
  }))
  const { p, exit } = await runMatrix()
  assert.equal(exit.status, 'succeeded')
  const cell = (from: string, to: string) => {
    const o = p.cell(from, to)?.opinions.observed
    return o && { ...o, raw: o.raw ?? '', command: o.command ?? '' }
  }
  assert.deepEqual([cell('productpage', 'details')!.verdict, cell('productpage', 'details')!.evidence], ['allowed', 'connected'])
  assert.deepEqual([cell('productpage', 'reviews')!.verdict, cell('productpage', 'reviews')!.evidence], ['allowed', 'http-error'])
  assert.deepEqual([cell('reviews-v2', 'ratings')!.verdict, cell('reviews-v2', 'ratings')!.evidence], ['allowed', 'refused'])
  assert.deepEqual([cell('alpine-dev1', 'productpage')!.verdict, cell('alpine-dev1', 'productpage')!.evidence], ['denied', 'timeout'])
  assert.match(cell('alpine-dev1', 'productpage')!.raw, /download timed out/)
  assert.deepEqual([cell('alpine-dev1', 'details')!.verdict, cell('alpine-dev1', 'details')!.evidence], ['denied', 'timeout'])
  assert.deepEqual([cell('alpine-dev1', 'reviews')!.verdict, cell('alpine-dev1', 'reviews')!.evidence], ['error', 'dns-failed'])
  assert.deepEqual([cell('ratings', 'dns')!.verdict, cell('ratings', 'dns')!.evidence], ['denied', 'dns-timeout'])
  assert.deepEqual([cell('productpage', 'dns')!.verdict, cell('productpage', 'dns')!.evidence], ['allowed', 'dns-answer'])
  for (const to of ['productpage', 'details', 'reviews', 'ratings', 'dns']) {
    assert.deepEqual([cell('alpine-default', to)!.verdict, cell('alpine-default', to)!.evidence], ['error', 'exec-failed'], `alpine-default→${to}`)
  }
  assert.deepEqual([cell('details', 'ratings')!.verdict, cell('details', 'ratings')!.evidence], ['error', 'exec-failed'])
  assert.match(cell('details', 'ratings')!.reason, /container reach-probe is not running/)
  // the outside clients, through the stand-in docker: LB allowed for host1, the rest timed out
  assert.deepEqual([cell('host1', 'productpage')!.verdict, cell('host1', 'productpage')!.reason], ['allowed', 'connected (HTTP 200)'])
  assert.equal(cell('host1', 'productpage')!.command, "docker exec host1 curl -sS -o /dev/null -w '%{http_code}' --connect-timeout 1 --max-time 2 http://198.19.48.10:80/")
  assert.equal(cell('host1', 'details')!.verdict, 'denied')
  assert.match(cell('host1', 'details')!.command, /http:\/\/10\.48\.0\.67:9080\/$/, 'aimed at the details pod address')
  assert.equal(cell('other-range', 'productpage')!.verdict, 'denied')
  assert.equal(cell('other-range', 'details'), undefined, 'not probed')
  assert.match(p.cell('other-range', 'details')?.unprobed ?? '', /not probed/)
  // where each probe ran, and with what
  assert.ok(seen.includes('productpage→details reach-probe'), 'bookinfo probes run in the debug container')
  assert.ok(seen.includes('alpine-dev1→details alpine'), 'alpine probes run in the pod’s own container')
  const req = fake.execRequests.find((r) => r.pod.startsWith('productpage-v1') && r.command.includes('http://details.dev1.svc.cluster.local:9080/'))
  assert.deepEqual(req?.command, podProbeCommand(reachMatrix.targets[1]!, T).argv)
  assert.equal(cell('productpage', 'details')!.command, 'kubectl exec -n dev1 productpage-v1-bcc6748f7-dh26s -c reach-probe -- timeout 2 wget -q -T 1 -O /dev/null http://details.dev1.svc.cluster.local:9080/')
  // mismatches are counted against the expectation: the refused and 404 cells agree (allowed), errors are not
  // mismatches; DNS timing out for ratings while the policies allow it is one
  assert.equal(p.summary?.mismatches, 1)
  assert.equal(p.summary?.errors, 7)
})

test('a source pod that is not there: its row is errors, the rest of the matrix runs', async () => {
  const alpine = (fake.objects() as KubeObject[]).find((o) => o.kind === 'Pod' && o.metadata.namespace === 'default' && o.metadata.name === 'alpine')!
  fake.remove('v1', 'Pod', 'default', 'alpine')
  try {
    const { p } = await runMatrix()
    const row = observedCells(p).filter((o) => o.from === 'alpine-default')
    assert.equal(row.length, 5)
    assert.ok(row.every((o) => o.verdict === 'error' && o.evidence === 'no-pod'))
    assert.match(row[0]!.reason, /no Running pod matches app=alpine in namespace default/)
    assert.equal(expectedCells(p).find((c) => c.from === 'alpine-default')?.verdict, 'unknown')
    assert.equal(p.summary?.probes, 45)
  } finally {
    fake.upsert(alpine)
  }
})

test('the worker pool bound holds: never more exec streams open than `concurrency`', async () => {
  fake.onExec(() => ({ steps: [{ delayMs: 40 }], exitCode: 0 }))
  let peak = 0
  const sampler = setInterval(() => (peak = Math.max(peak, fake.openExecStreams)), 1)
  const before = fake.execRequests.length
  const started = Date.now()
  const { p } = await runMatrix('matrix-bounded')
  clearInterval(sampler)
  assert.equal(p.summary?.concurrency, 3)
  assert.ok(peak <= 3, `peak ${peak} open exec streams`)
  assert.ok(peak >= 2, `the pool was used in parallel (peak ${peak})`)
  assert.equal(fake.execRequests.length - before, 40, 'one exec per pod cell')
  assert.ok(Date.now() - started >= (40 / 3) * 40 * 0.8, 'bounded: the probes queued')
  const info = server.store.get('matrix-bounded').run!.chunks.filter((c) => c.stream === 'info').map((c) => c.data).join('')
  assert.match(info, /up to 3 at a time \(peak 3\)/)
})

test('the unbounded catalog matrix probes every cell at once: about one probe timeout in all', async () => {
  fake.onExec(labExecHandler({ deniedMs: T * 1000 }))
  const started = Date.now()
  const { p } = await runMatrix()
  const took = Date.now() - started
  assert.ok(took < T * 1000 * 1.6, `took ${took} ms for ${p.summary?.probes} probes with a ${T} s timeout`)
})

test('debug containers: added once per bookinfo pod through pods/ephemeralcontainers, then reused; an ended one is replaced', async () => {
  await runMatrix()
  const pods = () => (fake.objects() as KubeObject[]).filter((o) => o.kind === 'Pod' && o.metadata.namespace === 'dev1')
  const ephemeral = (o: KubeObject) => ((o.spec as { ephemeralContainers?: Array<{ name: string; image: string; securityContext?: object }> }).ephemeralContainers ?? [])
  for (const pod of pods()) {
    const list = ephemeral(pod)
    if (pod.metadata.name === 'alpine') assert.equal(list.length, 0, 'alpine has wget: no debug container')
    else {
      assert.deepEqual(list.map((c) => c.name), ['reach-probe'], pod.metadata.name)
      assert.equal(list[0]!.image, 'docker.io/library/busybox:1.36')
      assert.deepEqual((list[0]!.securityContext as { capabilities?: unknown }).capabilities, { drop: ['ALL'] })
    }
  }
  await runMatrix()
  for (const pod of pods()) if (pod.metadata.name !== 'alpine') assert.equal(ephemeral(pod).length, 1, `${pod.metadata.name}: reused`)

  // the day-long sleep ended in one pod: a fresh container is added next to it
  const ratings = pods().find((o) => o.metadata.name.startsWith('ratings-v1'))!
  const status = ratings.status as { ephemeralContainerStatuses: Array<{ state: object }> }
  status.ephemeralContainerStatuses[0]!.state = { terminated: { exitCode: 0, reason: 'Completed' } }
  fake.upsert(ratings)
  const { p } = await runMatrix()
  assert.deepEqual(ephemeral(pods().find((o) => o.metadata.name.startsWith('ratings-v1'))!).map((c) => c.name), ['reach-probe', 'reach-probe-2'])
  assert.match(p.cell('ratings', 'details')!.opinions.observed!.command ?? '', /-c reach-probe-2 /)
})

test('cancel ends the run at once and closes every probe stream', async () => {
  fake.onExec(() => ({ hang: true }))
  const d = await deck()
  d.send({ type: 'run', action: MATRIX_ID })
  const until = Date.now() + 5000
  while (fake.openExecStreams < 10 && Date.now() < until) await new Promise((r) => setTimeout(r, 10))
  d.send({ type: 'cancel', action: MATRIX_ID })
  const exit = await d.waitFor(exitOf(MATRIX_ID), 5000)
  assert.equal(exit.status, 'cancelled')
  const closeBy = Date.now() + 3000
  while (fake.openExecStreams > 0 && Date.now() < closeBy) await new Promise((r) => setTimeout(r, 10))
  assert.equal(fake.openExecStreams, 0)
})

test('an exec that never reports an exit status ends at its deadline, and its stream is closed', async () => {
  fake.onExec(() => ({ hang: true }))
  const r = await execInPod(fake.kubeConfig(), { namespace: 'dev1', pod: 'alpine', container: 'alpine', command: ['sleep', '100'] }, { deadlineMs: 200, signal: new AbortController().signal, stdout: () => {}, stderr: () => {} })
  assert.equal(r.started, true)
  assert.deepEqual(r.end, { kind: 'deadline', ms: 200 })
  const closeBy = Date.now() + 2000
  while (fake.openExecStreams > 0 && Date.now() < closeBy) await new Promise((res) => setTimeout(res, 10))
  assert.equal(fake.openExecStreams, 0)
})

test('without docker on this machine the outside cells are errors that say so', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'no-docker-'))
  const saved = process.env.PATH
  process.env.PATH = empty
  try {
    const { p } = await runMatrix()
    const outside = observedCells(p).filter((o) => o.from === 'host1' || o.from === 'other-range')
    assert.equal(outside.length, 5)
    for (const o of outside) {
      assert.equal(o.verdict, 'error')
      assert.match(o.reason, /docker is not installed on this machine/)
    }
  } finally {
    process.env.PATH = saved
  }
})
