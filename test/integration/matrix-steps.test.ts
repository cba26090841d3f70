// PolicyStep's server side: an apply/delete step with `then` re-runs the matrix once when it succeeds — once however
// many windows watch or click, once more if the matrix was already running, never after a failure.
import { test, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { startFakeKube } from '../fakeKube/server.ts'
import type { FakeKube, KubeObject } from '../fakeKube/server.ts'
import type { DemoServer } from '../../demo-server/src/server.ts'
import { Catalog } from '../../demo-server/src/catalog/index.ts'
import { matrixActions, reachMatrix } from '../../demo-server/src/catalog/matrices.ts'
import { matrixAfterSteps, policyStep, policySteps, policyStepActions } from '../../demo-server/src/catalog/policySteps.ts'
import type { Action, ProbeMatrixAction } from '../../demo-server/src/catalog/types.ts'
import { readMatrix } from '../../demo-server/src/matrix/reachability.ts'
import type { ExitMessage, ServerMessage } from '../../demo-server/src/protocol.ts'
import { connectDeck } from '../support/wsClient.ts'
import type { TestDeck } from '../support/wsClient.ts'
import { labObjects } from '../support/labObjects.ts'
import { demoServerOnFake } from '../support/demoServer.ts'
import { labPolicies, momentExecHandler, REPO, stepsApplied } from '../support/matrixLab.ts'

const token = 'matrix-steps-token-0123456789'
const origin = 'http://localhost:3030'
let fake: FakeKube
let server: DemoServer
const decks: TestDeck[] = []
const DETAILS = policyStep('details')!
const APPLY = DETAILS.apply
const REMOVE = DETAILS.remove

const matrix: ProbeMatrixAction = { ...reachMatrix, probeTimeoutSeconds: 1, timeoutMs: 60_000 }
/** every demo moment's matrix, fast */
const matrices = matrixActions.map((m) => ({ ...(m as ProbeMatrixAction), probeTimeoutSeconds: 1, timeoutMs: 60_000 }))
/** applying details re-runs the matrix of its moment (DETAILS.number), removing it the one of the moment before */
const AFTER_APPLY = DETAILS.matrix
const AFTER_REMOVE = matrixAfterSteps(DETAILS.number - 1)

before(async () => {
  fake = await startFakeKube({ objects: [...labObjects(), ...labPolicies(['default-deny'])] })
  server = await demoServerOnFake(fake, { token, origin, actions: [...matrices, ...policyStepActions] })
})
after(async () => {
  for (const deck of decks) deck.close()
  await server.close()
  await fake.close()
})
beforeEach(() => fake.onExec(momentExecHandler(fake, { deniedMs: 30, allowedMs: 5 })))

async function deck(...subscribe: string[]): Promise<TestDeck> {
  const d = await connectDeck(server.url, token, origin)
  decks.push(d)
  for (const action of subscribe) d.send({ type: 'subscribe', action })
  for (const action of subscribe) await d.waitFor((m) => m.type === 'state' && m.action === action)
  return d
}
const exitOf = (action: string) => (m: ServerMessage): m is ExitMessage => m.type === 'exit' && m.action === action
/** Distinct runs of `action` this deck saw start. */
const runsSeen = (d: TestDeck, action: string) => new Set(d.messages.flatMap((m) => (m.type === 'state' && m.action === action && m.run?.status === 'running' ? [m.run.id] : [])))
const detailsPolicy = () => (fake.objects() as KubeObject[]).find((o) => o.apiVersion === 'projectcalico.org/v3' && o.metadata.name === 'details-from-productpage')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

test('the fake\'s dataplane reads the demo moment by kind and name: the staged default deny is not the enforced one', async () => {
  const at = async (steps: Parameters<typeof labPolicies>[0]): Promise<number> => {
    const f = await startFakeKube({ objects: [...labObjects(), ...labPolicies(steps)] })
    try {
      return stepsApplied(f)
    } finally {
      await f.close()
    }
  }
  const staged = policyStep('default-deny-staged')!
  const enforced = policyStep('default-deny')!
  assert.equal(await at(['default-deny-staged']), staged.number, 'staged only: the staged moment, everything still open')
  assert.equal(await at(['default-deny-staged', 'default-deny']), enforced.number)
  assert.equal(await at(['default-deny', 'details']), policyStep('details')!.number, 'a staged step left out changes no verdict')
})

test('the step actions chain to the matrix; the catalog refuses a `then` that names nothing', () => {
  for (const a of policyStepActions) {
    const step = policySteps.find((s) => s.apply === a.id || s.remove === a.id)!
    assert.equal(a.then, a.kind === 'apply' ? matrixAfterSteps(step.number) : matrixAfterSteps(step.number - 1), a.id)
  }
  assert.equal(policyStepActions.length, 2 * policySteps.length, 'an apply and a remove per step')
  assert.equal(matrixAfterSteps(policySteps.length), reachMatrix.id, 'after the last step: the summary matrix')
  const bad: Action = { ...policyStepActions[0]!, then: 'no-such-action' }
  assert.throws(() => new Catalog([matrix, bad], REPO), /then "no-such-action" must name another action/)
  assert.throws(() => new Catalog([{ ...bad, then: bad.id }], REPO), /must name another action/)
})

test('two windows click Apply: one apply, then exactly one matrix run, seen by both, on the new policy', async () => {
  const a = await deck(APPLY, AFTER_APPLY)
  const b = await deck(APPLY, AFTER_APPLY)
  const execsBefore = fake.execRequests.length
  a.send({ type: 'run', action: APPLY })
  b.send({ type: 'run', action: APPLY })
  const [applyA, applyB] = await Promise.all([a.waitFor(exitOf(APPLY)), b.waitFor(exitOf(APPLY))])
  assert.equal(applyA.runId, applyB.runId, 'the second click joined the first apply')
  assert.equal(applyA.status, 'succeeded')
  assert.ok(detailsPolicy(), 'the policy is in the API server')
  const [mA, mB] = await Promise.all([a.waitFor(exitOf(AFTER_APPLY), 20_000), b.waitFor(exitOf(AFTER_APPLY), 20_000)])
  assert.equal(mA.runId, mB.runId)
  assert.equal(mA.status, 'succeeded')
  await sleep(200) // would a second matrix run start?
  assert.equal(runsSeen(a, AFTER_APPLY).size, 1)
  assert.equal(runsSeen(b, AFTER_APPLY).size, 1)
  assert.equal(fake.execRequests.length - execsBefore, 40, 'one matrix worth of pod probes reached the API server')
  const p = readMatrix(server.store.get(AFTER_APPLY).run!.chunks.filter((c) => c.stream === 'stdout').map((c) => c.data).join('')).reachability
  assert.ok(p?.header.expected.policies.includes('NetworkPolicy dev1/details-from-productpage'), 'the matrix read the cluster after the apply')
})

test('Remove: the policy goes, and the matrix re-runs without it', async () => {
  const d = await deck(REMOVE, AFTER_REMOVE)
  d.send({ type: 'run', action: REMOVE })
  assert.equal((await d.waitFor(exitOf(REMOVE))).status, 'succeeded')
  assert.equal(detailsPolicy(), undefined)
  const m = await d.waitFor(exitOf(AFTER_REMOVE), 20_000)
  assert.equal(m.status, 'succeeded')
  const p = readMatrix(server.store.get(AFTER_REMOVE).run!.chunks.filter((c) => c.stream === 'stdout').map((c) => c.data).join('')).reachability
  assert.ok(!p?.header.expected.policies.includes('NetworkPolicy dev1/details-from-productpage'))
})

test('a matrix already running when the step lands runs once more after it, reading the new policy', async () => {
  fake.onExec(momentExecHandler(fake, { deniedMs: 400, allowedMs: 5 }))
  const d = await deck(APPLY, AFTER_APPLY)
  d.send({ type: 'run', action: AFTER_APPLY })
  await d.waitFor((m) => m.type === 'state' && m.action === AFTER_APPLY && m.run?.status === 'running')
  d.send({ type: 'run', action: APPLY })
  assert.equal((await d.waitFor(exitOf(APPLY))).status, 'succeeded')
  const deadline = Date.now() + 20_000
  while (d.messages.filter(exitOf(AFTER_APPLY)).length < 2 && Date.now() < deadline) await sleep(20)
  const exits = d.messages.filter(exitOf(AFTER_APPLY))
  assert.equal(exits.length, 2, 'the running matrix, then one more')
  assert.equal(runsSeen(d, AFTER_APPLY).size, 2)
  const p = readMatrix(server.store.get(AFTER_APPLY).run!.chunks.filter((c) => c.stream === 'stdout').map((c) => c.data).join('')).reachability
  assert.ok(p?.header.expected.policies.includes('NetworkPolicy dev1/details-from-productpage'))
  await sleep(300)
  assert.equal(runsSeen(d, AFTER_APPLY).size, 2, 'and no third')
})

test('a step that fails does not re-run the matrix', async () => {
  const undo = fake.respond({ method: 'DELETE', pathPrefix: '/apis/projectcalico.org/v3/namespaces/dev1/networkpolicies/details' }, 500, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 500, message: 'etcdserver: request timed out' })
  try {
    const d = await deck(REMOVE, AFTER_REMOVE)
    d.send({ type: 'run', action: REMOVE })
    const exit = await d.waitFor(exitOf(REMOVE))
    assert.equal(exit.status, 'failed')
    await sleep(300)
    assert.equal(runsSeen(d, AFTER_REMOVE).size, 0)
  } finally {
    undo()
  }
})
