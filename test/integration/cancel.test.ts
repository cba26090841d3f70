// A cancelled (or timed-out) run leaves nothing behind: no HTTP request still open on the API server, no exec stream,
// no watch, and no poll that wakes up later to ask again. The fake API server counts what is open; each step kind is
// cancelled while its work is in flight.
import { test, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { CoreV1Api } from '@kubernetes/client-node'
import { defaultActions } from '../../demo-server/src/catalog/index.ts'
import { reachMatrix } from '../../demo-server/src/catalog/matrices.ts'
import { policyStep } from '../../demo-server/src/catalog/policySteps.ts'
import type { Action, ProbeMatrixAction } from '../../demo-server/src/catalog/types.ts'
import type { ExitMessage } from '../../demo-server/src/protocol.ts'
import { ensureDebugContainer } from '../../demo-server/src/matrix/debugContainer.ts'
import { runRollout } from '../../demo-server/src/runner/rollout.ts'
import type { DemoServer } from '../../demo-server/src/server.ts'
import { startFakeKube } from '../fakeKube/server.ts'
import type { FakeKube, KubeObject } from '../fakeKube/server.ts'
import { labObjects } from '../support/labObjects.ts'
import { demoServerOnFake } from '../support/demoServer.ts'
import { connectDeck } from '../support/wsClient.ts'
import type { TestDeck } from '../support/wsClient.ts'

const token = 'cancel-test-token-0123456789'
const origin = 'http://localhost:3030'
let fake: FakeKube
let server: DemoServer
let deck: TestDeck
const shipped = (id: string) => defaultActions().find((a) => a.id === id)!
const extra: Action[] = [
  { id: 'hanging-exec', title: 'hangs', kind: 'exec', namespace: 'dev1', target: { deployment: 'ratings-v1' }, command: ['sleep', '100'], namespaces: ['dev1'], timeoutMs: 30_000 },
  { ...(shipped('nodes-wide') as Action), id: 'nodes-short-timeout', timeoutMs: 300 } as Action,
]
/** The matrix, with every bookinfo pod's debug container still starting: its start-up poll runs until cancelled. */
const matrix: ProbeMatrixAction = { ...reachMatrix, probeTimeoutSeconds: 1, timeoutMs: 60_000 }

before(async () => {
  const starting = labObjects().map((o) => {
    const pod = o as KubeObject
    if (pod.kind !== 'Pod' || pod.metadata.namespace !== 'dev1' || pod.metadata.name === 'alpine') return o
    return {
      ...pod,
      spec: { ...(pod.spec as object), ephemeralContainers: [{ name: 'reach-probe', image: 'docker.io/library/busybox:1.36' }] },
      status: { ...(pod.status as object), ephemeralContainerStatuses: [{ name: 'reach-probe', image: '', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] },
    }
  })
  fake = await startFakeKube({ objects: starting })
  server = await demoServerOnFake(fake, {
    token,
    origin,
    actions: ['nodes-wide', 'rollout-events', 'preflight', policyStep('details')!.apply].map((id) => ({ ...shipped(id), then: undefined }) as Action).concat(extra, [matrix]),
    healthIntervalMs: 3_600_000, // no health check in the middle of "nothing happens any more"
  })
  deck = await connectDeck(server.url, token, origin)
})
after(async () => {
  deck.close()
  await server.close()
  await fake.close()
})
beforeEach(() => fake.onExec(() => ({ hang: true })))

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms (open requests ${fake.openRequests}, exec streams ${fake.openExecStreams}, watches ${fake.openWatches})`)
    await sleep(10)
  }
}

/** Timers waiting in this process (the demo server and the fake API server run here). */
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length

/** Starts `action`, waits until `busy` says its work is on the wire, cancels it, and checks that nothing is left. */
async function cancelWhileBusy(action: string, busy: () => boolean, expect: 'cancelled' | 'timeout' = 'cancelled'): Promise<void> {
  const timersBefore = timers()
  deck.messages.length = 0
  deck.send({ type: 'run', action })
  await until(`${action} gets busy`, busy)
  if (expect === 'cancelled') deck.send({ type: 'cancel', action })
  const exit = (await deck.waitFor((m) => m.type === 'exit' && m.action === action, 10_000)) as ExitMessage
  if (expect === 'cancelled') assert.equal(exit.status, 'cancelled', action)
  else assert.deepEqual([exit.status, exit.error?.kind], ['failed', 'timeout'], action)
  await until(`${action}: nothing left open`, () => fake.openRequests === 0 && fake.openExecStreams === 0 && fake.openWatches === 0)
  assert.equal(server.runner.active, 0, `${action}: the run holds nothing`)
  assert.ok(timers() <= timersBefore, `${action}: no timer left waiting (a poll's sleep, a deadline): ${timers()} now, ${timersBefore} before — ${process.getActiveResourcesInfo().join(', ')}`)
  const seen = fake.requests.length
  await sleep(1500) // longer than any poll interval: would one wake up and ask again?
  assert.deepEqual(fake.requests.slice(seen).map((r) => `${r.method} ${r.path}`), [], `${action}: no request after the run ended`)
}

test('a table whose list never answers: cancel closes the request', async () => {
  const undo = fake.stall({ pathPrefix: '/api/v1/nodes' })
  try {
    await cancelWhileBusy('nodes-wide', () => fake.openRequests > 0)
  } finally {
    undo()
  }
})

test('a list that never answers and the action’s timeout: the request is closed too', async () => {
  const undo = fake.stall({ pathPrefix: '/api/v1/nodes' })
  try {
    await cancelWhileBusy('nodes-short-timeout', () => fake.openRequests > 0, 'timeout')
  } finally {
    undo()
  }
})

test('an exec that never ends: cancel closes its stream', async () => {
  await cancelWhileBusy('hanging-exec', () => fake.openExecStreams > 0)
})

test('a rollout being watched: cancel closes the watch and stops the status poll', async () => {
  await cancelWhileBusy('rollout-events', () => fake.openWatches > 0 && fake.requests.some((r) => r.path === '/apis/apps/v1/namespaces/dev1/deployments/details-v1' && r.method === 'GET'))
})

test('an apply the API server never answers: cancel closes the request', async () => {
  const undo = fake.stall({ method: 'PATCH', pathPrefix: '/apis/projectcalico.org/v3/namespaces/dev1/networkpolicies' })
  try {
    await cancelWhileBusy(policyStep('details')!.apply, () => fake.requests.some((r) => r.method === 'PATCH') && fake.openRequests > 0)
  } finally {
    undo()
  }
})

test('a matrix with probes in flight and debug containers still starting: cancel closes every stream and stops the polls', async () => {
  const polls = () => fake.requests.filter((r) => r.method === 'GET' && /^\/api\/v1\/namespaces\/dev1\/pods\/(productpage|details|ratings|reviews)/.test(r.path)).length
  await cancelWhileBusy(matrix.id, () => fake.openExecStreams >= 2 && polls() >= 6)
})

test('a preflight whose reads never answer: cancel closes them', async () => {
  const undo = fake.stall({ pathPrefix: '/api/v1/nodes' })
  try {
    await cancelWhileBusy('preflight', () => fake.openRequests > 0 && fake.requests.some((r) => r.path === '/api/v1/nodes'))
  } finally {
    undo()
  }
})

// The polls' sleeps, with an interval far longer than a cancel may take: a sleep that ignored the signal would hold the
// run for the whole interval.
const LONG_POLL_MS = 20_000

test('the debug container’s start-up poll ends with the signal, mid-sleep', async () => {
  const pod = await fake.kubeConfig().makeApiClient(CoreV1Api).readNamespacedPod({ namespace: 'dev1', name: 'details-v1-766844796b-9wq5x' })
  const controller = new AbortController()
  const polls = () => fake.requests.filter((r) => r.path === '/api/v1/namespaces/dev1/pods/details-v1-766844796b-9wq5x').length
  const before = polls()
  const waiting = ensureDebugContainer(fake.kubeConfig(), pod, { image: matrix.debugImage, waitMs: 60_000, pollMs: LONG_POLL_MS, signal: controller.signal })
  await sleep(300) // asleep between two polls
  const started = Date.now()
  controller.abort()
  assert.deepEqual(await waiting, { ok: false, message: 'cancelled' })
  assert.ok(Date.now() - started < LONG_POLL_MS / 4, 'it did not sleep the interval out')
  assert.equal(polls(), before, 'and it asked nothing more')
})

test('the rollout’s status poll ends with the signal, mid-sleep, and closes its watch', async () => {
  const controller = new AbortController()
  const rollout = shipped('rollout-events')
  assert.equal(rollout.kind, 'rollout')
  if (rollout.kind !== 'rollout') return
  const out = { stdout: () => {}, stderr: () => {}, info: () => {} }
  const running = runRollout(fake.kubeConfig(), rollout, out, controller.signal, LONG_POLL_MS).catch((error: unknown) => error)
  await until('the watch is open', () => fake.openWatches > 0)
  await sleep(300)
  const started = Date.now()
  controller.abort()
  await running
  assert.ok(Date.now() - started < LONG_POLL_MS / 4, 'it did not sleep the interval out')
  await until('the watch is closed', () => fake.openWatches === 0 && fake.openRequests === 0)
})
