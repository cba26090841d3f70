// Settling after a policy change, against the fake API server: the deck applies step 1 (default deny), the step chains
// to its matrix, and the fake's dataplane lags behind the API — the first probes after the apply still connect, as
// when Felix has not programmed the deny yet. The matrix probes the disagreeing cells again after a short wait, says
// "settling" on the wire meanwhile (what <ProbeMatrix> shows), and the slide that introduces the deny shows it denied.
import { test, before, after, beforeEach } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { startFakeKube } from '../fakeKube/server.ts'
import type { ExecRequest, ExecScript, FakeKube, KubeObject } from '../fakeKube/server.ts'
import type { DemoServer } from '../../demo-server/src/server.ts'
import { stepMatrices } from '../../demo-server/src/catalog/matrices.ts'
import { policyStep, policyStepActions } from '../../demo-server/src/catalog/policySteps.ts'
import type { ProbeMatrixAction } from '../../demo-server/src/catalog/types.ts'
import { MatrixReader, readMatrix } from '../../demo-server/src/matrix/reachability.ts'
import { SETTLE_WAITS_MS } from '../../demo-server/src/matrix/run.ts'
import { matrixLine } from '../../demo-server/src/matrix/wire.ts'
import type { ChunkMessage, ExitMessage, ServerMessage } from '../../demo-server/src/protocol.ts'
import { connectDeck } from '../support/wsClient.ts'
import type { TestDeck } from '../support/wsClient.ts'
import { labObjects } from '../support/labObjects.ts'
import { demoServerOnFake } from '../support/demoServer.ts'
import { allowedScript, colOf, DNS_ROWS, droppedScript, labPolicies, rowOf, standInDocker } from '../support/matrixLab.ts'

const token = 'matrix-settling-token-0123456789'
const origin = 'http://localhost:3030'
const T = 1
const STEP = policyStep('default-deny')!
const MATRIX = STEP.matrix
/** the matrix of moment 1 (default deny applied), fast */
const matrix: ProbeMatrixAction = { ...(stepMatrices.find((m) => m.id === MATRIX)!), probeTimeoutSeconds: T, timeoutMs: 60_000 }
/** apply chains to the matrix above; remove (whose matrix, moment 0, is not in this catalog) chains to nothing */
const steps = policyStepActions.filter((a) => a.id === STEP.apply || a.id === STEP.remove).map((a) => (a.id === STEP.remove ? { ...a, then: undefined } : a))
let fake: FakeKube
let server: DemoServer
const decks: TestDeck[] = []
const savedPath = process.env.PATH

/** Probes the dataplane still lets through although the API already holds the deny (Felix not caught up yet). */
let lagging = 0
const denyIsIn = () => (fake.objects() as KubeObject[]).some((o) => o.apiVersion === 'projectcalico.org/v3' && o.kind === 'GlobalNetworkPolicy' && o.metadata.name === 'platform-baseline.dev1-default-deny')
/** A cell the policies leave open after the deny: DNS for the pods that call someone. */
const staysOpen = (from: string, to: string) => to === 'dns' && DNS_ROWS.has(from)

/** The lab's dataplane: open before the default deny, everything but the callers' DNS dropped after it — once it caught up. */
function laggingDataplane(req: ExecRequest): ExecScript {
  if (!denyIsIn() || staysOpen(rowOf(req), colOf(req))) return allowedScript(req, 5)
  if (lagging > 0) {
    lagging--
    return allowedScript(req, 5)
  }
  return droppedScript(req, T * 1000)
}

before(async () => {
  // outside clients: every curl times out (the default deny keeps them out of dev1, and the open moment is not checked)
  process.env.PATH = `${standInDocker({ lbAllowed: false })}:${savedPath}`
  // the lab's tiers come with it; the step adds the platform's policies
  fake = await startFakeKube({ objects: [...labObjects(), ...labPolicies([])] })
  server = await demoServerOnFake(fake, { token, origin, context: 'kind-calico-lab', actions: [matrix, ...steps] })
})
after(async () => {
  process.env.PATH = savedPath
  for (const d of decks) d.close()
  await server.close()
  await fake.close()
})
beforeEach(() => fake.onExec(laggingDataplane))

async function deck(): Promise<TestDeck> {
  const d = await connectDeck(server.url, token, origin)
  decks.push(d)
  d.send({ type: 'subscribe', action: MATRIX })
  await d.waitFor((m) => m.type === 'state' && m.action === MATRIX)
  return d
}
const exitOf = (action: string) => (m: ServerMessage): m is ExitMessage => m.type === 'exit' && m.action === action

/** Applies (or removes) the step from a deck and waits for the matrix it chains to. */
async function step(d: TestDeck, action: string): Promise<{ runId: string; text: string; info: string; chunks: ChunkMessage[] }> {
  const before = d.messages.filter(exitOf(MATRIX)).length
  d.send({ type: 'run', action })
  assert.equal((await d.waitFor(exitOf(action))).status, 'succeeded')
  const until = Date.now() + 30_000
  while (d.messages.filter(exitOf(MATRIX)).length === before && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
  const exit = d.messages.filter(exitOf(MATRIX))[before]
  assert.ok(exit, 'the step chained to its matrix')
  assert.equal(exit.status, 'succeeded')
  const run = server.store.get(MATRIX).run!
  const chunks = d.messages.filter((m): m is ChunkMessage => m.type === 'chunk' && m.action === MATRIX && m.runId === exit.runId)
  return {
    runId: exit.runId,
    text: run.chunks.filter((c) => c.stream === 'stdout').map((c) => c.data).join(''),
    info: run.chunks.filter((c) => c.stream === 'info').map((c) => c.data).join(''),
    chunks,
  }
}

const POD_ROWS = ['productpage', 'details', 'ratings', 'reviews-v1', 'reviews-v2', 'reviews-v3', 'alpine-dev1', 'alpine-default']
const TCP_COLS = ['productpage', 'details', 'reviews', 'ratings']

test('a fresh deny shows as denied on the slide that introduces it: the cells the lagging dataplane let through are probed again', async (t: TestContext) => {
  const d = await deck()
  lagging = 10 // the first ten denied probes after the apply still connect
  const { text, info, chunks } = await step(d, STEP.apply)
  const lines = text.split('\n').filter(Boolean).map((l) => matrixLine.parse(JSON.parse(l)))

  // the first pass saw ten cells connect; a settling line named exactly them, and they were probed again
  const settling = lines.filter((l) => l.kind === 'settling')
  assert.equal(settling.length, 1, 'one round was enough')
  assert.equal(settling[0]!.cells.length, 10)
  assert.equal(settling[0]!.waitMs, SETTLE_WAITS_MS[0])
  const firstPass = lines.slice(0, lines.indexOf(settling[0]!)).filter((l) => l.kind === 'opinion' && l.by === 'observed')
  const sawAllowed = firstPass.filter((l) => l.kind === 'opinion' && l.verdict === 'allowed' && !staysOpen(l.from, l.to)).map((l) => l.kind === 'opinion' && `${l.from}|${l.to}`)
  assert.deepEqual(new Set(sawAllowed), new Set(settling[0]!.cells.map((c) => `${c.from}|${c.to}`)))

  // while it settles, the slide's reader says so: those cells are "settling", and the deck got that line live
  const upToSettling = new MatrixReader()
  upToSettling.feed(lines.slice(0, lines.indexOf(settling[0]!) + 1).map((l) => `${JSON.stringify(l)}\n`).join(''))
  const states = upToSettling.reachability!.compare().states
  for (const c of settling[0]!.cells) assert.equal(states.get(`${c.from}|${c.to}`), 'settling')
  assert.ok(chunks.some((c) => c.chunk.data.includes('"kind":"settling"')), 'the settling line reached the deck as it was written')
  assert.ok(chunks.some((c) => c.chunk.stream === 'info' && /settling: 10 cells disagree with the expectation; probing them again in 1\.0 s/.test(c.chunk.data)))

  // the end: every pod → Service cell denied, as the engine expects; nothing left settling
  const p = readMatrix(text).reachability!
  for (const from of POD_ROWS) {
    for (const to of TCP_COLS) {
      const cell = p.cell(from, to)!
      assert.equal(cell.opinions.expected?.verdict, 'denied', `${from}→${to} expected`)
      assert.equal(cell.opinions.observed?.verdict, 'denied', `${from}→${to} observed`)
    }
  }
  const reprobed = settling[0]!.cells[0]!
  assert.match(p.cell(reprobed.from, reprobed.to)!.opinions.observed!.reason, /probed again \d+\.\d s into the run \(settling round 1\); the first probe saw: allowed: connected/)
  assert.equal(p.settling.size, 0)
  assert.equal(p.summary?.mismatches, 0)
  const s = p.summary?.settling
  assert.ok(s, 'the summary says what settling took')
  assert.deepEqual({ cells: s.cells, agreed: s.agreed, rounds: s.rounds }, { cells: 10, agreed: 10, rounds: 1 })
  assert.ok(s.ms >= SETTLE_WAITS_MS[0]!, `settling took at least its wait (${s.ms} ms)`)
  assert.ok(s.ms < SETTLE_WAITS_MS[0]! + T * 1000 + 2000, `one wait and one round of probes (${s.ms} ms)`)
  assert.ok(s.agreedWithinMs !== undefined && s.agreedWithinMs <= p.summary!.ms)
  assert.match(info, /settling took \d+\.\d s \(1 round\): 10 of 10 disagreeing cells came to agree, the last on a probe \d+\.\d s into the run/)
  t.diagnostic(`settling: ${s.cells} cells, ${s.rounds} round, ${s.ms} ms of settling, agreed by ${s.agreedWithinMs} ms into a ${p.summary!.ms} ms run`)
})

test('a dataplane that never catches up: three rounds, bounded, and the cells stay mismatches', async (t: TestContext) => {
  const d = await deck()
  // remove the step (the matrix of moment 0 is not in this catalog), then apply it again with a dataplane stuck open
  d.send({ type: 'run', action: STEP.remove })
  assert.equal((await d.waitFor(exitOf(STEP.remove))).status, 'succeeded')
  lagging = 1_000
  const started = Date.now()
  const { text, info } = await step(d, STEP.apply)
  lagging = 0
  const p = readMatrix(text).reachability!
  const rounds = text.split('\n').filter((l) => l.includes('"kind":"settling"')).length
  assert.equal(rounds, SETTLE_WAITS_MS.length)
  assert.equal(p.summary?.settling?.agreed, 0)
  assert.equal(p.summary?.mismatches, p.summary?.settling?.cells)
  assert.ok(p.summary!.mismatches >= 30, `the pod cells the deny closes (${p.summary!.mismatches})`)
  const waits = SETTLE_WAITS_MS.reduce((a, b) => a + b, 0)
  assert.ok(Date.now() - started < waits + 4 * T * 1000 + 5000, `bounded: ${Date.now() - started} ms`)
  assert.match(info, /settling took \d+\.\d s \(3 rounds\): 0 of \d+ disagreeing cells came to agree/)
  t.diagnostic(info.trim().split('\n').at(-1) ?? '')
})

test('nothing to settle when the dataplane already agrees: no settling line, no wait', async () => {
  const d = await deck()
  d.send({ type: 'run', action: STEP.remove })
  assert.equal((await d.waitFor(exitOf(STEP.remove))).status, 'succeeded')
  lagging = 0
  const { text, info } = await step(d, STEP.apply)
  assert.ok(!text.includes('"kind":"settling"'))
  const p = readMatrix(text).reachability!
  assert.equal(p.summary?.settling, undefined)
  assert.equal(p.summary?.mismatches, 0)
  assert.match(info, /nothing to settle/)
})
