// Calico's own verdict in the matrix, against the fake API server and a fake whisker pod (flow records in whisker-backend
// v3.31.7's JSON, reached through a real port-forward): records matched to their cells, policy by policy against the
// engine; late records waited for (bounded), missing ones said so; flow logs missing altogether; the staged step end to
// end; and the `flows` steps (list, watch, a watch that drops, cancel).
import { test, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { startFakeKube } from '../fakeKube/server.ts'
import type { FakeKube, KubeObject } from '../fakeKube/server.ts'
import type { DemoServer } from '../../demo-server/src/server.ts'
import { flowsRecent, flowsWatch } from '../../demo-server/src/catalog/flows.ts'
import { matrixActions, reachMatrix } from '../../demo-server/src/catalog/matrices.ts'
import { matrixAfterSteps, policyStep, policyStepActions } from '../../demo-server/src/catalog/policySteps.ts'
import type { FlowsAction, ProbeMatrixAction } from '../../demo-server/src/catalog/types.ts'
import { FlowLineReader } from '../../demo-server/src/flows/lines.ts'
import { calicoDisagreement, readMatrix } from '../../demo-server/src/matrix/reachability.ts'
import type { Reachability } from '../../demo-server/src/matrix/reachability.ts'
import type { ExitMessage, Run, ServerMessage } from '../../demo-server/src/protocol.ts'
import { connectDeck } from '../support/wsClient.ts'
import type { TestDeck } from '../support/wsClient.ts'
import { labObjects } from '../support/labObjects.ts'
import { demoServerOnFake } from '../support/demoServer.ts'
import { allowBy, ALLOWED_RANGE_SET, attachWhisker, cellRecords, denyAtEnd, platformDenyAtEnd, platformDnsAllow, profile, QUICK_FLOW_LOGS } from '../support/flowLab.ts'
import type { WhiskerLab } from '../support/flowLab.ts'
import { allowedScript, DNS_ROWS, droppedScript, labExecHandler, labPolicies, standInDocker } from '../support/matrixLab.ts'
import { whiskerService } from '../fakeWhisker/objects.ts'

const token = 'matrix-flows-token-0123456789'
const origin = 'http://localhost:3030'
let fake: FakeKube
let lab: WhiskerLab
let server: DemoServer
const decks: TestDeck[] = []
const originalPath = process.env.PATH

const flowLogs = QUICK_FLOW_LOGS
const fast = (m: ProbeMatrixAction): ProbeMatrixAction => ({ ...m, probeTimeoutSeconds: 1, timeoutMs: 60_000, flowLogs })
const matrices = matrixActions.map(fast)
const ALL = reachMatrix.id
const watch: FlowsAction = { ...flowsWatch, durationSeconds: 3, timeoutMs: 30_000 }
const watchFew: FlowsAction = { ...flowsWatch, id: 'flows-watch-few', maxRecords: 2, durationSeconds: 10, timeoutMs: 30_000 }
const recent: FlowsAction = flowsRecent

before(async () => {
  process.env.PATH = `${standInDocker()}:${originalPath}`
  fake = await startFakeKube({ objects: [...labObjects(), ...ALLOWED_RANGE_SET, ...labPolicies([])] })
  lab = await attachWhisker(fake)
  server = await demoServerOnFake(fake, { token, origin, context: 'kind-calico-lab', actions: [...matrices, ...policyStepActions, watch, watchFew, recent] })
})
after(async () => {
  process.env.PATH = originalPath
  for (const deck of decks) deck.close()
  await server?.close()
  await lab?.close()
  await fake?.close()
})
beforeEach(() => {
  lab.whisker.records.length = 0
  lab.whisker.options.dropStreamAfter = undefined
  fake.onExec(labExecHandler({ deniedMs: 200, allowedMs: 5 }))
})

const now = (): number => Math.floor(Date.now() / 1000)
const add = (records: ReturnType<typeof cellRecords>, availableAt = Date.now()): void => {
  for (const r of records) lab.whisker.add(r, availableAt)
}

function setPolicies(objects: object[]): void {
  for (const o of fake.objects() as KubeObject[]) {
    if ((o.apiVersion === 'projectcalico.org/v3' && /Policy$/.test(String(o.kind))) || o.apiVersion === 'networking.k8s.io/v1') fake.remove(String(o.apiVersion), String(o.kind), o.metadata.namespace, o.metadata.name)
  }
  for (const o of objects) fake.upsert(o)
}

async function deck(): Promise<TestDeck> {
  const d = await connectDeck(server.url, token, origin)
  decks.push(d)
  return d
}
const exitOf = (action: string) => (m: ServerMessage): m is ExitMessage => m.type === 'exit' && m.action === action
const stdout = (run: Run): string => run.chunks.filter((c) => c.stream === 'stdout').map((c) => c.data).join('')
const infos = (run: Run): string[] => run.chunks.filter((c) => c.stream === 'info').map((c) => c.data)

async function run(action: string): Promise<{ exit: ExitMessage; run: Run; ms: number }> {
  const d = await deck()
  const started = Date.now()
  d.send({ type: 'run', action })
  const exit = await d.waitFor(exitOf(action), 40_000)
  return { exit, run: server.store.get(action).run!, ms: Date.now() - started }
}
async function runMatrix(action = ALL): Promise<{ p: Reachability; run: Run; ms: number }> {
  const r = await run(action)
  assert.equal(r.exit.status, 'succeeded', JSON.stringify(r.exit.error))
  const reader = readMatrix(stdout(r.run))
  assert.equal(reader.rejected, 0)
  return { p: reader.reachability!, run: r.run, ms: r.ms }
}

test('Calico\'s verdict per cell: records matched by pod, port and window, the deciding policy compared with the engine\'s', async () => {
  setPolicies(labPolicies())
  const t = now()
  add([
    ...cellRecords('productpage', 'details', t, { src: { action: 'Allow', enforced: [allowBy('productpage-to-details', 0)] }, dst: { action: 'Allow', enforced: [allowBy('details-from-productpage', 0)] } }),
    ...cellRecords('alpine-dev1', 'productpage', t, { src: { action: 'Deny', enforced: [platformDenyAtEnd()] } }),
    ...cellRecords('host1', 'productpage', t, { dst: { action: 'Allow', enforced: [allowBy('productpage-from-outside-range', 0)] } }),
    // productpage's own ingress policy makes the default tier apply to it: its end denies the other range
    ...cellRecords('other-range', 'productpage', t, { dst: { action: 'Deny', enforced: [denyAtEnd('productpage-from-outside-range')] } }),
    ...cellRecords('alpine-default', 'dns', t, { src: { action: 'Allow', enforced: [profile('default')] }, dst: { action: 'Allow', enforced: [profile('kube-system')] } }),
  ])
  const { p, run: r, ms } = await runMatrix()
  const calico = (from: string, to: string) => p.cell(from, to)!.opinions.calico!
  const state = (from: string, to: string) => p.compare().states.get(`${from}|${to}`)

  assert.equal(calico('productpage', 'details').verdict, 'allowed')
  assert.equal(calico('productpage', 'details').calico?.enforced?.text, 'tier default › dev1/details-from-productpage › Allow (rule 0)')
  assert.equal(calico('productpage', 'details').calico?.source?.enforced?.text, 'tier default › dev1/productpage-to-details › Allow (rule 0)')
  assert.equal(p.cell('productpage', 'details')!.opinions.expected?.engine?.ingress.policy, 'dev1/details-from-productpage')
  assert.equal(state('productpage', 'details'), 'match', 'the engine names the same policy and rule on both sides')

  assert.equal(calico('alpine-dev1', 'productpage').verdict, 'denied')
  assert.equal(calico('alpine-dev1', 'productpage').calico?.decidedBy, 'source')
  assert.match(calico('alpine-dev1', 'productpage').reason, /denied it at egress from dev1\/alpine: tier platform-baseline › end of tier \(selected by platform-baseline\.dev1-default-deny\) › Deny/)
  assert.equal(state('alpine-dev1', 'productpage'), 'match')

  // the GlobalNetworkSet names host1's records, so the two outside clients are told apart
  assert.equal(calico('host1', 'productpage').verdict, 'allowed')
  assert.match(calico('host1', 'productpage').reason, /Calico allowed it: tier default › dev1\/productpage-from-outside-range › Allow \(rule 0\)/)
  assert.equal(calico('other-range', 'productpage').verdict, 'denied')
  assert.equal(calico('other-range', 'productpage').calico?.decidedBy, 'destination')
  assert.equal(state('host1', 'productpage'), 'match')
  assert.equal(calico('alpine-default', 'dns').calico?.enforced?.text, 'profile kns.kube-system › Allow')
  assert.equal(state('alpine-default', 'dns'), 'match')

  // no record: said so, never a verdict; the probes' opinions stand
  const missing = calico('ratings', 'details')
  assert.equal(missing.verdict, 'unknown')
  assert.equal(missing.evidence, 'no-record')
  assert.match(missing.reason, /no flow record from dev1\/ratings-v1-64d59779-\* to dev1\/details:9080\/TCP in this window/)
  assert.equal(state('ratings', 'details'), 'match')
  assert.equal(p.cell('other-range', 'details')!.opinions.calico, undefined, 'a cell never probed gets no Calico opinion')
  assert.equal(p.summary?.mismatches, 0, [...p.compare().states].filter(([, s]) => s === 'mismatch').map(([k]) => k).join(', '))
  assert.equal(p.summary?.probes, 45)

  // bounded: the run waited for the missing records no longer than the deadline (plus a poll and the probes)
  assert.ok(ms < (1 + 2 + flowLogs.deadlineSeconds + flowLogs.pollSeconds + 4) * 1000, `${ms} ms`)
  assert.ok(infos(r).some((i) => /^waiting for flow logs: Felix flushes every 15 s/.test(i)))
  assert.ok(infos(r).some((i) => /^flow logs: \d+\/45 cells have Calico's answer after \d+ reads? of whisker pod whisker-6b7c9d8f55-q2x7m; \d+ without a complete record by the deadline/.test(i)))
  await lab.bridge.settled()
  assert.equal(lab.whisker.openRequests, 0, 'every read closed its request')
})

test('a disagreement with the engine is marked like a probe mismatch: another verdict, or another deciding rule', async () => {
  setPolicies(labPolicies())
  const t = now()
  add([
    // Calico names rule 1 of ratings where the engine finds rule 0
    ...cellRecords('reviews-v2', 'ratings', t, { src: { action: 'Allow', enforced: [allowBy('reviews-to-ratings', 0)] }, dst: { action: 'Allow', enforced: [allowBy('ratings-from-reviews', 1)] } }),
    // Calico allowed what the engine and the probe deny
    ...cellRecords('alpine-default', 'details', t, { src: { action: 'Allow', enforced: [profile('default')] }, dst: { action: 'Allow', enforced: [allowBy('details-from-productpage', 0)] } }),
  ])
  const { p } = await runMatrix()
  const states = p.compare().states
  assert.equal(states.get('reviews-v2|ratings'), 'mismatch')
  assert.match(calicoDisagreement(p.cell('reviews-v2', 'ratings')!) ?? '', /^ingress: Calico: tier default › dev1\/ratings-from-reviews › Allow \(rule 1\); engine: tier default › dev1\/ratings-from-reviews ingress\[0\]$/)
  assert.equal(states.get('alpine-default|details'), 'mismatch')
  assert.equal(calicoDisagreement(p.cell('alpine-default', 'details')!), 'the engine expects denied, Calico\'s flow logs say allowed')
  assert.equal(p.summary?.mismatches, 2, 'the summary counts them with the probes\' mismatches')
})

test('late records: the run waits (bounded) and writes a cell once its records are complete; a hairpin cell does not wait', async () => {
  setPolicies([])
  const t = now()
  add(cellRecords('productpage', 'details', t, { src: { action: 'Allow', enforced: [profile('dev1')] } }))
  add(cellRecords('productpage', 'details', t, { dst: { action: 'Allow', enforced: [profile('dev1')] } }), Date.now() + 2500) // the destination node flushes later
  // a pod reaching itself through its Service: the destination's record names the node, so there is no second record
  add(cellRecords('productpage', 'productpage', t, { src: { action: 'Allow', enforced: [profile('dev1')] } }))
  fake.onExec(labExecHandler({ deniedMs: 50, policies: false }))
  const action = fast({ ...matrixActions[0]!, id: 'late-matrix' })
  const late = await demoServerOnFake(fake, { token, origin, context: 'kind-calico-lab', actions: [{ ...action, flowLogs: { ...flowLogs, deadlineSeconds: 6 } }] })
  try {
    const d = await connectDeck(late.url, token, origin)
    decks.push(d)
    d.send({ type: 'run', action: 'late-matrix' })
    await d.waitFor(exitOf('late-matrix'), 40_000)
    const r = late.store.get('late-matrix').run!
    const lines = stdout(r).split('\n').filter((l) => l.includes('"by":"calico"') && l.includes('"from":"productpage","to":"details"'))
    assert.equal(lines.length, 1, 'written once, when complete (not while partial)')
    const p = readMatrix(stdout(r)).reachability!
    assert.equal(p.cell('productpage', 'details')!.opinions.calico?.verdict, 'allowed')
    assert.ok(infos(r).some((i) => /^waiting for flow logs: \d+\/45 cells have Calico's answer/.test(i)), 'progress while waiting')
    const hairpin = p.cell('productpage', 'productpage')!.opinions.calico!
    assert.equal(hairpin.evidence, 'partial')
    assert.match(hairpin.reason, /kube-proxy masquerades the hairpin/)
  } finally {
    await late.close()
  }
})

test('settling, then flow logs: Calico is read once, after the re-probes, and speaks of each cell\'s last probe', async () => {
  setPolicies(labPolicies())
  // the dataplane lags the default deny for alpine-dev1 → productpage: its first probe connects (Felix files that a
  // bucket earlier), the re-probe is dropped, and Felix hands that record over only at its next flush
  let probes = 0
  fake.onExec(labExecHandler({
    deniedMs: 200,
    allowedMs: 5,
    override: (row, col, req) => {
      if (row !== 'alpine-dev1' || col !== 'productpage') return undefined
      if (probes++ === 0) {
        add(cellRecords(row, col, now() - 15, { src: { action: 'Allow', enforced: [profile('dev1')] }, dst: { action: 'Allow', enforced: [profile('dev1')] } }))
        return allowedScript(req, 5)
      }
      add(cellRecords(row, col, now(), { src: { action: 'Deny', enforced: [platformDenyAtEnd()] } }), Date.now() + 1500)
      return droppedScript(req, 200)
    },
  }))
  const { p, run: r } = await runMatrix()
  const lines = stdout(r).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { kind: string; by?: string; from?: string; to?: string; verdict?: string })
  const isCell = (l: { from?: string; to?: string }) => l.from === 'alpine-dev1' && l.to === 'productpage'

  // settled first: one round named the cell, and its re-probe saw the deny
  const settling = lines.filter((l) => l.kind === 'settling')
  assert.equal(settling.length, 1)
  assert.equal(probes, 2, 'probed once, then once again while settling')
  const lastProbe = lines.findLastIndex((l) => l.kind === 'opinion' && l.by === 'observed')
  assert.ok(lastProbe > lines.indexOf(settling[0]!), 'the re-probe came after the settling line')
  // then Calico, every cell after the last probe, and this cell once: not the first probe's record, still the only one
  // when the reading began, but the re-probe's, a flush later
  const calicoLines = lines.flatMap((l, i) => (l.kind === 'opinion' && l.by === 'calico' ? [i] : []))
  assert.ok(calicoLines.length > 0 && calicoLines.every((i) => i > lastProbe), 'Calico is read after settling')
  const ofCell = lines.filter((l) => l.kind === 'opinion' && l.by === 'calico' && isCell(l))
  assert.deepEqual(ofCell.map((l) => l.verdict), ['denied'], 'written once, from the records of the last probe')
  const cell = p.cell('alpine-dev1', 'productpage')!
  assert.equal(cell.opinions.observed?.verdict, 'denied')
  assert.match(cell.opinions.calico?.reason ?? '', /older records? in the window said otherwise: from before the last policy change/)
  assert.equal(p.compare().states.get('alpine-dev1|productpage'), 'match')
  assert.equal(p.summary?.mismatches, 0)
  assert.deepEqual({ cells: p.summary?.settling?.cells, agreed: p.summary?.settling?.agreed }, { cells: 1, agreed: 1 })
  // one wait for flow logs per run, begun after settling
  const said = infos(r)
  assert.equal(said.filter((i) => /^waiting for flow logs: Felix flushes/.test(i)).length, 1)
  assert.ok(said.findIndex((i) => /^waiting for flow logs: Felix flushes/.test(i)) > said.findIndex((i) => /^settling: 1 cell disagrees/.test(i)))
})

test('flow logs missing altogether: every probed cell says why, once on the slide; the probes stand', async () => {
  setPolicies(labPolicies())
  fake.remove('v1', 'Service', 'calico-system', 'whisker')
  try {
    const { p } = await runMatrix()
    const opinions = [...p.cells.values()].flatMap((c) => (c.opinions.calico ? [c.opinions.calico] : []))
    assert.equal(opinions.length, 45)
    assert.ok(opinions.every((o) => o.evidence === 'unavailable' && o.verdict === 'unknown'))
    assert.match(opinions[0]!.reason, /^Calico's flow logs could not be read \(not-installed\): Calico flow logs are not available: there is no Service calico-system\/whisker\. Whisker and Goldmane are enabled by the operator's Goldmane and Whisker resources \(manifests\/10-calico-installation\.yaml\)\./)
    assert.equal(p.summary?.probes, 45)
    assert.equal(p.summary?.mismatches, 0)
  } finally {
    fake.upsert(whiskerService())
  }
})

test('the staged step end to end: staged, traffic flows, pending denies; enforced, the same cells denied', async (t) => {
  setPolicies([])
  const staged = policyStep('default-deny-staged')!
  const enforced = policyStep('default-deny')!
  const wouldDeny = { action: 'Allow' as const, enforced: [profile('dev1')], pending: [platformDenyAtEnd(true)] }
  // Calico files each probe of the staged moment as it runs (its records carry the probe's time); t1: productpage →
  // details's
  let t1 = now()
  fake.onExec(labExecHandler({
    deniedMs: 100,
    policies: false,
    override: (row, col) => {
      if (row === 'productpage' && col === 'details') {
        t1 = now()
        add(cellRecords(row, col, t1, { src: wouldDeny, dst: wouldDeny }))
      }
      if (row === 'productpage' && col === 'dns') {
        add(cellRecords(row, col, now(), {
          src: { action: 'Allow', enforced: [platformDnsAllow()], pending: [platformDnsAllow()] },
          dst: { action: 'Allow', enforced: [profile('kube-system')], pending: [profile('kube-system')] },
        }))
      }
      return undefined
    },
  }))
  const d = await deck()
  for (const action of [staged.apply, staged.matrix, enforced.apply, enforced.matrix]) d.send({ type: 'subscribe', action })
  for (const action of [staged.apply, staged.matrix, enforced.apply, enforced.matrix]) await d.waitFor((m) => m.type === 'state' && m.action === action)
  d.send({ type: 'run', action: staged.apply })
  assert.equal((await d.waitFor(exitOf(staged.apply))).status, 'succeeded')
  assert.ok((fake.objects() as KubeObject[]).some((o) => o.kind === 'StagedGlobalNetworkPolicy' && o.metadata.name === 'platform-baseline.dev1-default-deny'), 'the staged policy is in the API server')
  assert.equal((await d.waitFor(exitOf(staged.matrix), 40_000)).status, 'succeeded', 'applying the step re-ran its matrix')
  const m1 = readMatrix(stdout(server.store.get(staged.matrix).run!)).reachability!
  assert.ok(m1.header.expected.policies.includes('StagedGlobalNetworkPolicy platform-baseline.dev1-default-deny'), 'the live read lists the staged kinds')
  const pd = m1.cell('productpage', 'details')!
  assert.equal(pd.opinions.expected?.verdict, 'allowed', 'a staged policy changes no traffic')
  assert.equal(pd.opinions.expected?.engine?.pending?.verdict, 'denied', 'the engine: it would deny')
  assert.equal(pd.opinions.observed?.verdict, 'allowed', 'the probe connects')
  assert.equal(pd.opinions.calico?.verdict, 'allowed')
  assert.equal(pd.opinions.calico?.calico?.pending?.verdict, 'denied', 'Calico\'s pending trace: it would deny')
  assert.equal(pd.opinions.calico?.calico?.pending?.hit.text, 'tier platform-baseline › end of tier (selected by staged platform-baseline.dev1-default-deny) › Deny')
  assert.equal(m1.compare().states.get('productpage|details'), 'match', 'the engine\'s pending verdict and Calico\'s agree, side and policy')
  assert.equal(m1.cell('productpage', 'dns')!.opinions.calico?.calico?.pending?.verdict, 'allowed', 'DNS would stay allowed for a caller')

  // enforce: the same cells, now denied by the default deny (the staged twin stays); host1 too, until step 6 lets
  // its range in (no settling for a cell the stand-in would still let through)
  const pathBefore = process.env.PATH
  process.env.PATH = `${standInDocker({ lbAllowed: false })}:${originalPath}`
  t.after(() => void (process.env.PATH = pathBefore))
  fake.onExec(labExecHandler({ deniedMs: 100, override: (row, col, req) => (!(col === 'dns' && DNS_ROWS.has(row)) && !row.startsWith('host') && !row.startsWith('other') ? droppedScript(req, 100) : undefined) }))
  // the enforced moment's probes land in a later 15 s bucket than the staged moment's (one bucket naming both policies
  // would be a policy change during it, another case): wait for the next bucket if need be
  const nextBucket = (Math.floor(t1 / 15) + 1) * 15
  while (now() < nextBucket) await new Promise((r) => setTimeout(r, 100))
  add(cellRecords('productpage', 'details', now(), { src: { action: 'Deny', enforced: [platformDenyAtEnd()], pending: [platformDenyAtEnd()] } }))
  d.send({ type: 'run', action: enforced.apply })
  assert.equal((await d.waitFor(exitOf(enforced.apply))).status, 'succeeded')
  assert.equal((await d.waitFor(exitOf(enforced.matrix), 40_000)).status, 'succeeded')
  const m2 = readMatrix(stdout(server.store.get(enforced.matrix).run!)).reachability!
  const pd2 = m2.cell('productpage', 'details')!
  assert.equal(pd2.opinions.expected?.verdict, 'denied')
  assert.equal(pd2.opinions.observed?.verdict, 'denied')
  assert.equal(pd2.opinions.calico?.verdict, 'denied', 'the records of this run stand over the staged moment\'s')
  assert.match(pd2.opinions.calico?.reason ?? '', /2 older records in the window said otherwise: from before the last policy change/)
  assert.equal(m2.compare().states.get('productpage|details'), 'match')
  assert.equal(matrixAfterSteps(enforced.number), enforced.matrix)
})

test('flows steps: a list newest first, one record per line; the watch ends by itself; a watch that drops says so', async () => {
  const t = now()
  add([
    ...cellRecords('productpage', 'details', t - 40, { dst: { action: 'Allow', enforced: [allowBy('details-from-productpage', 0)] } }),
    ...cellRecords('alpine-dev1', 'productpage', t - 5, { src: { action: 'Deny', enforced: [platformDenyAtEnd()] } }),
  ])
  const before = lab.whisker.requests.length
  const list = await run(recent.id)
  assert.equal(list.exit.status, 'succeeded')
  // the shown command names the requests that ran: path, filters, how far back (relative to now, as curl would send it)
  const shown = list.run.command ?? ''
  assert.match(shown, /^kubectl port-forward -n calico-system service\/whisker 8081:8081 & curl -sG 'http:\/\/localhost:8081\/whisker-backend\/flows' -d startTimeGte=-210 /)
  const sent = lab.whisker.requests.slice(before)
  assert.deepEqual(sent.map((r) => r.path), ['/whisker-backend/flows', '/whisker-backend/flows'])
  assert.deepEqual(sent.map((r) => r.query.filters).sort(), [...shown.matchAll(/filters=(\{[^']*\})'/g)].map((m) => m[1]).sort())
  for (const r of sent) assert.ok(Math.abs(Number(r.query.startTimeGte) - (now() - 210)) <= 2, `startTimeGte ${r.query.startTimeGte} is 210 s back`)
  const rows = new FlowLineReader()
  rows.feed(stdout(list.run))
  assert.equal(rows.rejected, 0)
  assert.deepEqual(rows.rows.map((r) => `${r.action} ${r.source} → ${r.dest}`), ['Deny dev1/alpine → dev1/productpage-v1-bcc6748f7-*', 'Allow dev1/productpage-v1-bcc6748f7-* → dev1/details-v1-766844796b-*'])
  assert.ok(infos(list.run).some((i) => /^whisker pod whisker-6b7c9d8f55-q2x7m: 2 flow records touching dev1 since /.test(i)))

  // the watch: two minutes of backfill, then live, until its duration ends it — a success
  add(cellRecords('ratings', 'details', now(), { src: { action: 'Deny', enforced: [platformDenyAtEnd()] } }), Date.now() + 800)
  const live = await run(watch.id)
  assert.equal(live.exit.status, 'succeeded', JSON.stringify(live.exit.error))
  const watched = lab.whisker.requests.at(-1)!
  assert.equal(watched.query.watch, 'true')
  assert.match(live.run.command ?? '', new RegExp(`-d watch=true -d startTimeGte=-${watch.windowSeconds}$`))
  assert.ok(Math.abs(Number(watched.query.startTimeGte) - (now() - watch.windowSeconds - 3)) <= 2, 'backfilled from the window')
  const seen = new FlowLineReader()
  seen.feed(stdout(live.run))
  assert.equal(seen.rows.length, 3, 'backfilled two, one arrived live')
  assert.ok(infos(live.run).some((i) => /the watch ended after 3 s with 3 records/.test(i)))
  assert.ok(live.ms >= 3000 && live.ms < 10_000, `${live.ms} ms`)

  // at most maxRecords, then it stops by itself
  const few = await run(watchFew.id)
  assert.equal(few.exit.status, 'succeeded')
  assert.equal(stdout(few.run).trim().split('\n').length, 2)
  assert.ok(infos(few.run).some((i) => /stopped after 2 records/.test(i)))

  // a stream that drops: failed, kind stream-dropped, the records it sent kept
  lab.whisker.options.dropStreamAfter = 1
  const dropped = await run(watch.id)
  assert.equal(dropped.exit.status, 'failed')
  assert.equal(dropped.exit.error?.kind, 'stream-dropped')
  assert.match(dropped.exit.error?.message ?? '', /the flow stream broke after 1 record|ended the flow stream after 1 record/)
  assert.equal(stdout(dropped.run).trim().split('\n').length, 1)
  await lab.bridge.settled()
})

test('flows steps: cancel leaves nothing open; missing components are a clear failure', async () => {
  const d = await deck()
  d.send({ type: 'run', action: watch.id })
  await d.waitFor((m) => m.type === 'chunk' && m.action === watch.id && m.chunk.stream === 'info', 10_000)
  assert.equal(lab.whisker.openRequests, 1)
  d.send({ type: 'cancel', action: watch.id })
  assert.equal((await d.waitFor(exitOf(watch.id))).status, 'cancelled')
  await lab.whisker.settled()
  await lab.bridge.settled()

  fake.remove('v1', 'Service', 'calico-system', 'whisker')
  try {
    const r = await run(recent.id)
    assert.equal(r.exit.status, 'failed')
    assert.equal(r.exit.error?.kind, 'not-found')
    assert.match(r.exit.error?.message ?? '', /Calico flow logs are not available: there is no Service calico-system\/whisker/)
  } finally {
    fake.upsert(whiskerService())
  }
})
