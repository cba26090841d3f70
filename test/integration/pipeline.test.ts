// Demo server ↔ fake Kubernetes API server: the whole pipeline through client-node for real.
import { test, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startFakeKube } from '../fakeKube/server.ts'
import type { FakeKube } from '../fakeKube/server.ts'
import type { DemoServer } from '../../demo-server/src/server.ts'
import { defaultActions } from '../../demo-server/src/catalog/index.ts'
import type { Action } from '../../demo-server/src/catalog/types.ts'
import type { ExitMessage, StateMessage } from '../../demo-server/src/protocol.ts'
import { demoServerOnFake } from '../support/demoServer.ts'
import { connectDeck } from '../support/wsClient.ts'
import type { TestDeck } from '../support/wsClient.ts'
import { deployment, labObjects } from '../support/labObjects.ts'

const token = 'pipeline-test-token-0123456789'
const origin = 'http://localhost:3030'
let fake: FakeKube
let server: DemoServer
let root: string
const decks: TestDeck[] = []

const extra: Action[] = [
  { id: 'slow-exec', title: 'slow', kind: 'exec', namespace: 'dev1', target: { deployment: 'ratings-v1' }, command: ['sleep', '100'], namespaces: ['dev1'], timeoutMs: 30_000 },
  { id: 'short-timeout', title: 'times out', kind: 'exec', namespace: 'dev1', target: { deployment: 'ratings-v1' }, command: ['sleep', '100'], namespaces: ['dev1'], timeoutMs: 300 },
  { id: 'no-pod', title: 'nobody', kind: 'exec', namespace: 'dev1', target: { deployment: 'nobody' }, command: ['true'], namespaces: ['dev1'], timeoutMs: 5000 },
  { id: 'apply-policy', title: 'apply', kind: 'apply', manifests: ['manifests/policy.yaml'], namespaces: ['dev1'], timeoutMs: 5000 },
  { id: 'delete-policy', title: 'delete', kind: 'delete', manifests: ['manifests/policy.yaml'], namespaces: ['dev1'], timeoutMs: 5000 },
]
const shipped = (...ids: string[]) => defaultActions().filter((a) => ids.includes(a.id))

const policy = `apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: dev1
spec:
  selector: all()
  types: [Ingress, Egress]
`

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'pipeline-'))
  mkdirSync(join(root, 'manifests'))
  writeFileSync(join(root, 'manifests', 'policy.yaml'), policy)
  // a Deployment whose selector matches no pod: `kubectl exec deploy/nobody` finds nothing to run in
  fake = await startFakeKube({ objects: [...labObjects(), deployment('nobody', 'nobody', true)] })
  server = await demoServerOnFake(fake, { token, origin, repoRoot: root, actions: [...shipped('preflight', 'nodes-wide', 'rollout-events', 'probe-ratings-productpage'), ...extra] })
})
after(async () => {
  for (const deck of decks) deck.close()
  await server.close()
  await fake.close()
})
beforeEach(() => fake.onExec(() => ({ exitCode: 0 })))

async function deck(): Promise<TestDeck> {
  const d = await connectDeck(server.url, token, origin)
  decks.push(d)
  return d
}
const exitOf = (action: string) => (m: { type: string; action?: string }): m is ExitMessage => m.type === 'exit' && m.action === action
const until = async (check: () => boolean, ms = 3000) => {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

test('the cluster is live: health names the context and the version', async () => {
  await server.refreshHealth()
  const health = server.hub.getHealth()
  assert.equal(health?.mode, 'live')
  assert.equal(health?.context, 'fake-lab')
  assert.match(health?.version ?? '', /^v1\./)
})

test('nodes-wide prints a kubectl-style table read through the typed API', async () => {
  const d = await deck()
  d.send({ type: 'run', action: 'nodes-wide' })
  const exit = await d.waitFor(exitOf('nodes-wide'))
  assert.equal(exit.status, 'succeeded')
  const text = server.store.get('nodes-wide').run!.chunks.map((c) => c.data).join('')
  const lines = text.trimEnd().split('\n')
  assert.match(lines[0]!, /^NAME\s+INTERNAL-IP\s+KUBELET\s+RUNTIME$/, 'the columns the slides point at')
  assert.match(lines[1]!, /^control\s+198\.19\.0\.1\s+v1\.34\.1\s+\S+$/)
  assert.equal(lines.length, 4)
})

test('exec: stdout and stderr arrive apart and in order; the exit code comes from the status channel', async () => {
  fake.onExec((req) => {
    assert.deepEqual(req.command, ['sh', '-c', 'curl -sS --max-time 5 http://productpage:9080/productpage | grep -o "<title>.*</title>"'])
    assert.equal(req.pod, 'ratings-v1-64d59779-zrb6p')
    assert.equal(req.container, 'ratings')
    return { steps: [{ stdout: 'one\n' }, { delayMs: 5 }, { stderr: 'two\n' }, { delayMs: 5 }, { stdout: 'three\n' }], exitCode: 3 }
  })
  const d = await deck()
  d.send({ type: 'run', action: 'probe-ratings-productpage' })
  const exit = await d.waitFor(exitOf('probe-ratings-productpage'))
  assert.equal(exit.status, 'failed')
  assert.equal(exit.exitCode, 3)
  assert.equal(exit.error?.kind, 'exit-code')
  const chunks = d.messages.filter((m) => m.type === 'chunk' && m.action === 'probe-ratings-productpage').map((m) => (m.type === 'chunk' ? [m.chunk.stream, m.chunk.data] : []))
  assert.deepEqual(chunks.filter(([s]) => s !== 'info'), [['stdout', 'one\n'], ['stderr', 'two\n'], ['stdout', 'three\n']])
  assert.match(String(chunks[0]?.[1]), /^pod\/ratings-v1-64d59779-zrb6p \(node node1\)/, 'first says which pod was picked')
})

test('exec: exit 0 is a success', async () => {
  fake.onExec(() => ({ steps: [{ stdout: '<title>Simple Bookstore App</title>\n' }], exitCode: 0 }))
  const d = await deck()
  d.send({ type: 'run', action: 'probe-ratings-productpage' })
  const exit = await d.waitFor(exitOf('probe-ratings-productpage'))
  assert.equal(exit.status, 'succeeded')
  assert.equal(exit.exitCode, 0)
})

test('cancel closes the exec stream on the API server (open streams back to 0)', async () => {
  fake.onExec(() => ({ steps: [{ stdout: 'started\n' }], hang: true }))
  const d = await deck()
  d.send({ type: 'run', action: 'slow-exec' })
  await d.waitFor((m) => m.type === 'chunk' && m.action === 'slow-exec' && m.chunk.data === 'started\n')
  assert.equal(fake.openExecStreams, 1)
  d.send({ type: 'cancel', action: 'slow-exec' })
  const exit = await d.waitFor(exitOf('slow-exec'))
  assert.equal(exit.status, 'cancelled')
  await until(() => fake.openExecStreams === 0)
})

test('a timeout ends the run as failed/timeout and closes the stream', async () => {
  fake.onExec(() => ({ hang: true }))
  const d = await deck()
  d.send({ type: 'run', action: 'short-timeout' })
  const exit = await d.waitFor(exitOf('short-timeout'))
  assert.equal(exit.status, 'failed')
  assert.equal(exit.error?.kind, 'timeout')
  await until(() => fake.openExecStreams === 0)
})

test('a second run while the first is running joins it: one exec, and the late joiner gets the buffer first', async () => {
  fake.onExec(() => ({ steps: [{ stdout: 'early\n' }, { delayMs: 300 }, { stdout: 'late\n' }], exitCode: 0 }))
  const before = fake.execRequests.length
  const first = await deck()
  first.send({ type: 'run', action: 'slow-exec' })
  await first.waitFor((m) => m.type === 'chunk' && m.action === 'slow-exec' && m.chunk.data === 'early\n')
  const second = await deck()
  second.send({ type: 'run', action: 'slow-exec' })
  const state = (await second.waitFor((m) => m.type === 'state' && m.action === 'slow-exec')) as StateMessage
  assert.equal(state.run?.status, 'running')
  assert.ok(state.run?.chunks.some((c) => c.data === 'early\n'), 'buffered output replayed to the late joiner')
  const [a, b] = await Promise.all([first.waitFor(exitOf('slow-exec')), second.waitFor(exitOf('slow-exec'))])
  assert.equal(a.runId, b.runId)
  assert.ok(second.messages.some((m) => m.type === 'chunk' && m.chunk.data === 'late\n'), 'then the live chunks')
  assert.equal(fake.execRequests.length - before, 1, 'exactly one exec reached the API server')
})

test('a subscriber arriving after the run ended gets the whole run', async () => {
  fake.onExec(() => ({ steps: [{ stdout: 'a\n' }, { stdout: 'b\n' }], exitCode: 0 }))
  const d = await deck()
  d.send({ type: 'run', action: 'probe-ratings-productpage' })
  await d.waitFor(exitOf('probe-ratings-productpage'))
  const late = await deck()
  late.send({ type: 'subscribe', action: 'probe-ratings-productpage' })
  const state = (await late.waitFor((m) => m.type === 'state' && m.action === 'probe-ratings-productpage')) as StateMessage
  assert.equal(state.run?.status, 'succeeded')
  assert.deepEqual(state.run?.chunks.filter((c) => c.stream === 'stdout').map((c) => c.data), ['a\n', 'b\n'])
})

test('a stream dropped without a status is reported as such', async () => {
  fake.onExec(() => ({ steps: [{ stdout: 'partial' }], drop: true }))
  const d = await deck()
  d.send({ type: 'run', action: 'probe-ratings-productpage' })
  const exit = await d.waitFor(exitOf('probe-ratings-productpage'))
  assert.equal(exit.error?.kind, 'stream-dropped')
})

test('exec refused with 403 is reported as forbidden', async () => {
  fake.onExec(() => ({ httpStatus: 403 }))
  const d = await deck()
  d.send({ type: 'run', action: 'probe-ratings-productpage' })
  const exit = await d.waitFor(exitOf('probe-ratings-productpage'))
  assert.equal(exit.status, 'failed')
  assert.equal(exit.error?.kind, 'forbidden')
})

test('a list refused with 403 is reported as forbidden, a 500 as an API error', async () => {
  const undo = fake.respond({ pathPrefix: '/api/v1/nodes' }, 403, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403, message: 'nodes is forbidden: User "demo" cannot list resource "nodes"' })
  const d = await deck()
  d.send({ type: 'run', action: 'nodes-wide' })
  const exit = await d.waitFor(exitOf('nodes-wide'))
  undo()
  assert.equal(exit.error?.kind, 'forbidden')
  assert.match(exit.error?.message ?? '', /cannot list resource "nodes"/)
  const undo500 = fake.respond({ pathPrefix: '/api/v1/nodes' }, 500, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 500, message: 'etcdserver: request timed out' })
  d.messages.length = 0
  d.send({ type: 'run', action: 'nodes-wide' })
  const exit500 = await d.waitFor(exitOf('nodes-wide'))
  undo500()
  assert.equal(exit500.error?.kind, 'api-error')
  assert.match(exit500.error?.message ?? '', /500/)
})

test('no Running pod for the workload is a clear not-found; no such workload too', async () => {
  const d = await deck()
  d.send({ type: 'run', action: 'no-pod' })
  const exit = await d.waitFor(exitOf('no-pod'))
  assert.equal(exit.error?.kind, 'not-found')
  assert.match(exit.error?.message ?? '', /no Running pod of deploy\/nobody \(app=nobody\) in namespace dev1/)
  fake.remove('apps/v1', 'Deployment', 'dev1', 'nobody')
  try {
    d.messages.length = 0
    d.send({ type: 'run', action: 'no-pod' })
    const gone = await d.waitFor(exitOf('no-pod'))
    assert.equal(gone.error?.kind, 'not-found')
    assert.match(gone.error?.message ?? '', /nobody/)
  } finally {
    fake.upsert(deployment('nobody', 'nobody', true))
  }
})

test('apply is a server-side apply through the generic object API; delete removes it', async () => {
  const d = await deck()
  d.send({ type: 'run', action: 'apply-policy' })
  const applied = await d.waitFor(exitOf('apply-policy'))
  assert.equal(applied.status, 'succeeded')
  const find = () => fake.objects().find((o) => (o as { kind: string; metadata: { name: string } }).kind === 'NetworkPolicy' && (o as { metadata: { name: string } }).metadata.name === 'default-deny')
  assert.ok(find(), 'the policy is in the API server')
  assert.match(server.store.get('apply-policy').run!.chunks.map((c) => c.data).join(''), /networkpolicy\.projectcalico\.org\/default-deny serverside-applied/)
  d.send({ type: 'run', action: 'delete-policy' })
  assert.equal((await d.waitFor(exitOf('delete-policy'))).status, 'succeeded')
  assert.equal(find(), undefined)
  d.messages.length = 0
  d.send({ type: 'run', action: 'delete-policy' })
  assert.equal((await d.waitFor(exitOf('delete-policy'))).status, 'succeeded', '--ignore-not-found')
})

test('rollout-events: restarts the deployment and streams the namespace events through a watch until the rollout completes', async () => {
  const d = await deck()
  d.send({ type: 'run', action: 'rollout-events' })
  await d.waitFor((m) => m.type === 'chunk' && m.action === 'rollout-events' && m.chunk.data.includes('restarted'))
  const detailsDeployment = () => fake.objects().find((o) => (o as { kind: string; metadata: { name: string } }).kind === 'Deployment' && (o as { metadata: { name: string } }).metadata.name === 'details-v1')
  const annotated = detailsDeployment() as { spec: { template: { metadata: { annotations?: Record<string, string> } } } }
  assert.ok(annotated.spec.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'], 'the pod template was annotated, as kubectl rollout restart does')
  const event = (reason: string, message: string) => ({
    apiVersion: 'v1', kind: 'Event', metadata: { name: `details-v1-7d8f9-abcde.${reason}`, namespace: 'dev1' },
    involvedObject: { kind: 'Pod', name: 'details-v1-7d8f9-abcde', namespace: 'dev1' }, reason, message, type: 'Normal', source: { component: 'kubelet' },
  })
  fake.upsert(event('Scheduled', 'Successfully assigned dev1/details-v1-7d8f9-abcde to node2'))
  fake.upsert(event('Started', 'Started container details'))
  await d.waitFor((m) => m.type === 'chunk' && m.action === 'rollout-events' && m.chunk.data.includes('Started container details'))
  assert.equal(d.messages.some((m) => m.type === 'exit' && m.action === 'rollout-events'), false, 'still running: the rollout is not complete')
  // the controller's part: a new generation observed, the new ReplicaSet's pod available
  const current = detailsDeployment() as { metadata: { generation?: number } }
  const generation = current.metadata.generation ?? 0
  fake.upsert({ ...current, status: { ...deployment('details-v1', 'details', true).status, observedGeneration: generation } })
  const exit = await d.waitFor(exitOf('rollout-events'), 8000)
  assert.equal(exit.status, 'succeeded')
  const text = server.store.get('rollout-events').run!.chunks.map((c) => c.data).join('')
  assert.match(text, /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\n/)
  assert.match(text, /Normal\s+Scheduled\s+pod\/details-v1-7d8f9-abcde\s+Successfully assigned dev1\/details-v1-7d8f9-abcde to node2/)
  assert.ok(text.indexOf('Scheduled') < text.indexOf('Started container'), 'in the order the API server reported them')
  assert.match(text, /successfully rolled out/)
})

test('API server gone: reported as unreachable within 2 s, the last success stays as a replay, health turns offline', async () => {
  fake.onExec(() => ({ steps: [{ stdout: 'fine\n' }], exitCode: 0 }))
  const d = await deck()
  d.send({ type: 'run', action: 'probe-ratings-productpage' })
  const good = await d.waitFor(exitOf('probe-ratings-productpage'))
  assert.equal(good.status, 'succeeded')
  await fake.close()
  d.messages.length = 0
  const started = Date.now()
  d.send({ type: 'run', action: 'probe-ratings-productpage' })
  const exit = await d.waitFor(exitOf('probe-ratings-productpage'), 2000)
  assert.ok(Date.now() - started < 2000)
  assert.equal(exit.error?.kind, 'unreachable')
  const { lastSucceeded } = server.store.get('probe-ratings-productpage')
  assert.equal(lastSucceeded?.id, good.runId)
  const health = await d.waitFor((m) => m.type === 'cluster' && m.health.mode === 'offline', 4000)
  assert.equal(health.type === 'cluster' && health.health.reachable, false)
})
