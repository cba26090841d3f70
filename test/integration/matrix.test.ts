// The probe matrix through the whole pipeline against the fake API server: the expectation computed from the
// policies live in the (fake) cluster; probes aimed at the ClusterIPs and kube-dns address read from the API; their
// output (what busybox nc / nslookup and curl print) judged with the Service's ready endpoints and Felix's deny action;
// failures as errors with their cause; the worker-pool bound; the ephemeral debug containers (never a stuck one); the
// outside clients through an allow-listed host command.
import { test, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startFakeKube } from '../fakeKube/server.ts'
import type { FakeKube, KubeObject } from '../fakeKube/server.ts'
import { imagePullWaiting } from '../fakeKube/kubelet.ts'
import type { DemoServer } from '../../demo-server/src/server.ts'
import { reachMatrix } from '../../demo-server/src/catalog/matrices.ts'
import { REACH_MATRIX_ID as MATRIX_ID } from '../../demo-server/src/catalog/policySteps.ts'
import type { ProbeMatrixAction } from '../../demo-server/src/catalog/types.ts'
import { execInPod } from '../../demo-server/src/kube/exec.ts'
import { DEBUG_INIT } from '../../demo-server/src/matrix/debugContainer.ts'
import { readMatrix } from '../../demo-server/src/matrix/reachability.ts'
import type { Reachability } from '../../demo-server/src/matrix/reachability.ts'
import { printReachability } from '../../demo-server/src/matrix/truthTable.ts'
import { dnsProbeArgv, tcpProbeArgv } from '../../demo-server/src/matrix/verdict.ts'
import type { ExitMessage } from '../../demo-server/src/protocol.ts'
import { connectDeck } from '../support/wsClient.ts'
import type { TestDeck } from '../support/wsClient.ts'
import { labObjects } from '../support/labObjects.ts'
import { demoServerOnFake } from '../support/demoServer.ts'
import { intendedMatrixCells } from '../support/leastPrivilege.ts'
import { endpointSliceFor, felixConfiguration, LAB_CLUSTER_IPS, labServiceObjects } from '../support/labServices.ts'
import { DNS_ROWS, droppedScript, labExecHandler, labPolicies, refusedScript, standInDocker } from '../support/matrixLab.ts'

const token = 'matrix-test-token-0123456789'
const origin = 'http://localhost:3030'
const T = 1 // probe timeout (s)
let fake: FakeKube
let server: DemoServer
const decks: TestDeck[] = []
const originalPath = process.env.PATH

const matrix: ProbeMatrixAction = { ...reachMatrix, probeTimeoutSeconds: T, timeoutMs: 60_000 }
const bounded: ProbeMatrixAction = { ...matrix, id: 'matrix-bounded', concurrency: 3 }
/** the catalog's debug image changed since the debug containers were added */
const newImage: ProbeMatrixAction = { ...matrix, id: 'matrix-new-image', debugImage: 'docker.io/library/busybox:1.37' }
/** a debug image no registry has */
const missingImage: ProbeMatrixAction = { ...matrix, id: 'matrix-missing-image', debugImage: 'docker.io/library/busybox:9.99' }

before(async () => {
  process.env.PATH = `${standInDocker()}:${originalPath}`
  fake = await startFakeKube({ objects: labObjects() })
  server = await demoServerOnFake(fake, { token, origin, context: 'kind-calico-lab', actions: [matrix, bounded, newImage, missingImage] })
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
async function runMatrix(action = MATRIX_ID): Promise<{ exit: ExitMessage; p: Reachability; d: TestDeck; info: string; ms: number }> {
  const d = await deck()
  const started = Date.now()
  d.send({ type: 'run', action })
  const exit = await d.waitFor(exitOf(action), 30_000)
  const run = server.store.get(action).run!
  assert.equal(run.id, exit.runId)
  const reader = readMatrix(run.chunks.filter((c) => c.stream === 'stdout').map((c) => c.data).join(''))
  assert.equal(reader.rejected, 0)
  assert.ok(reader.reachability, 'the run wrote a matrix')
  const info = run.chunks.filter((c) => c.stream === 'info').map((c) => c.data).join('')
  return { exit, p: reader.reachability, d, info, ms: Date.now() - started }
}
const expectedCells = (p: Reachability) => [...p.cells.values()].map((c) => ({ from: c.from, to: c.to, ...c.opinions.expected! }))
const observedCells = (p: Reachability) => [...p.cells.values()].flatMap((c) => (c.opinions.observed ? [{ from: c.from, to: c.to, ...c.opinions.observed }] : []))
const cellOf = (p: Reachability) => (from: string, to: string) => {
  const o = p.cell(from, to)?.opinions.observed
  return o && { ...o, raw: o.raw ?? '', command: o.command ?? '' }
}
/** [verdict, reason code] of a cell's observation */
const said = (p: Reachability, from: string, to: string) => {
  const o = p.cell(from, to)?.opinions.observed
  return [o?.verdict, o?.evidence]
}
const objects = () => fake.objects() as KubeObject[]
const find = (kind: string, namespace: string | undefined, name: string) => objects().find((o) => o.kind === kind && o.metadata.namespace === namespace && o.metadata.name === name)

function setPolicies(list: object[]): void {
  for (const o of objects()) {
    if ((o.apiVersion === 'projectcalico.org/v3' && o.kind !== 'FelixConfiguration') || o.apiVersion === 'networking.k8s.io/v1') fake.remove(String(o.apiVersion), String(o.kind), o.metadata.namespace, o.metadata.name)
  }
  for (const o of list) fake.upsert(o)
}

const BOOKINFO_ROWS = ['productpage', 'details', 'ratings', 'reviews-v1', 'reviews-v2', 'reviews-v3']
const bookinfoPods = () => objects().filter((o) => o.kind === 'Pod' && o.metadata.namespace === 'dev1' && o.metadata.name !== 'alpine')
type Ephemeral = { name: string; image: string; command?: string[]; securityContext?: { capabilities?: unknown } }
const ephemeral = (o: KubeObject): Ephemeral[] => ((o.spec as { ephemeralContainers?: Ephemeral[] }).ephemeralContainers ?? [])
const podOf = (prefix: string) => bookinfoPods().find((o) => o.metadata.name.startsWith(prefix))!

test('the catalog message carries the expectation from manifests/, labelled as such; the shown command is the probe that runs', async () => {
  const d = await deck()
  const catalog = await d.waitFor((m) => m.type === 'catalog')
  const entry = catalog.type === 'catalog' ? catalog.actions.find((a) => a.id === MATRIX_ID) : undefined
  assert.equal(entry?.kind, 'probe-matrix')
  const preview = readMatrix(entry?.preview ?? '').reachability
  assert.equal(preview?.header.expected.source, 'manifests')
  assert.equal(preview?.cells.size, 50)
  assert.ok([...(preview?.cells.values() ?? [])].every((c) => c.opinions.expected && !c.opinions.observed), 'expected only: nothing was probed')
  assert.equal(entry?.shownCommand, `kubectl exec -n dev1 <pod> -c reach-probe -- nc -vv -z -w ${T} <cluster-ip> 9080   # every cell at once`)
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
  const { p, info } = await runMatrix()
  assert.equal(p.header.expected.policies.length, labPolicies().length, 'every policy resource the steps apply, the staged one included')
  const allowed = expectedCells(p).filter((c) => c.verdict === 'allowed' && c.to !== 'dns').map((c) => `${c.from}→${c.to}`).sort()
  assert.deepEqual(allowed, intendedMatrixCells())
  const denied = p.cell('alpine-dev1', 'productpage')!.opinions.expected!
  assert.match(denied.reason, /denied at end of tier platform-baseline/)
  assert.equal(p.summary?.mismatches, 0, `the fake answers as the policies say\n${printReachability(p)}`)
  assert.equal(p.summary?.probes, 45)
  assert.equal(p.summary?.settling, undefined, 'every first probe agreed: nothing to settle')
  assert.match(info, /45 probes in \d+\.\d s, up to 48 at a time \(peak \d+\); nothing to settle; 0 mismatches, 0 errors/)
})

test('observed: aimed at the ClusterIPs read from the API, judged from what the tool printed, each with its reason', async () => {
  setPolicies(labPolicies())
  const seen: string[] = []
  fake.onExec(labExecHandler({
    deniedMs: 100,
    override: (row, col, req) => {
      seen.push(`${row}→${col} ${req.container}`)
      // ratings is allowed: its target's kernel refuses (nothing listening on the port)
      if (row === 'reviews-v2' && col === 'ratings') return refusedScript(req)
      // ICMP unreachable from the path: not an answer about policy
      if (row === 'alpine-dev1' && col === 'reviews') return { steps: [{ stderr: `nc: ${LAB_CLUSTER_IPS.reviews} (${LAB_CLUSTER_IPS.reviews}:9080): No route to host\nsent 0, rcvd 0\n` }], exitCode: 1 }
      if (row === 'reviews-v3' && col === 'dns') return droppedScript(req, 100)
      if (row === 'alpine-default') return { httpStatus: 500 }
      if (row === 'details' && col === 'ratings') return { status: { metadata: {}, status: 'Failure', reason: 'InternalError', message: 'container reach-probe is not running' } }
      if (row === 'productpage' && col === 'reviews') return { status: { metadata: {}, status: 'Failure', reason: 'InternalError', message: 'OCI runtime exec failed: exec failed: unable to start container process: exec: "nc": executable file not found in $PATH: unknown' } }
      return undefined
    },
  }))
  const { p, exit } = await runMatrix()
  assert.equal(exit.status, 'succeeded')
  const cell = cellOf(p)
  assert.deepEqual(said(p, 'productpage', 'details'), ['allowed', 'connected'])
  assert.match(cell('productpage', 'details')!.raw, /198\.19\.40\.113 \(198\.19\.40\.113:9080\) open/)
  assert.deepEqual(said(p, 'reviews-v2', 'ratings'), ['allowed', 'nothing-listening'])
  assert.deepEqual(said(p, 'alpine-dev1', 'productpage'), ['denied', 'dropped'])
  assert.match(cell('alpine-dev1', 'productpage')!.reason, /no answer within 1 s: the packets were dropped/)
  assert.deepEqual(said(p, 'alpine-dev1', 'reviews'), ['error', 'rejected-on-path'])
  assert.deepEqual(said(p, 'reviews-v3', 'dns'), ['denied', 'dropped'], 'the DNS column itself: a dropped query is a denial')
  assert.deepEqual(said(p, 'productpage', 'dns'), ['allowed', 'answered'])
  assert.deepEqual(said(p, 'productpage', 'reviews'), ['error', 'tool-missing'])
  for (const to of ['productpage', 'details', 'reviews', 'ratings', 'dns']) assert.deepEqual(said(p, 'alpine-default', to), ['error', 'exec-failed'], `alpine-default→${to}`)
  assert.deepEqual(said(p, 'details', 'ratings'), ['error', 'exec-failed'])
  assert.match(cell('details', 'ratings')!.reason, /container reach-probe is not running/)
  // the outside clients, through the stand-in docker: LB allowed for host1, the rest dropped
  assert.deepEqual(said(p, 'host1', 'productpage'), ['allowed', 'connected'])
  assert.match(cell('host1', 'productpage')!.reason, /HTTP 200/)
  assert.equal(cell('host1', 'productpage')!.command, "docker exec host1 curl -v -sS -o /dev/null -w '%{http_code}:%{num_connects}' --connect-timeout 1 --max-time 1 http://198.19.48.10:80/")
  assert.deepEqual(said(p, 'host1', 'details'), ['denied', 'dropped'])
  assert.match(cell('host1', 'details')!.command, /http:\/\/10\.48\.0\.67:9080\/$/, 'aimed at the details pod address')
  assert.deepEqual(said(p, 'other-range', 'productpage'), ['denied', 'dropped'])
  assert.equal(cell('other-range', 'details'), undefined, 'not probed')
  assert.match(p.cell('other-range', 'details')?.unprobed ?? '', /not probed/)
  // where each probe ran, and with what: nc to the Service's ClusterIP (no name to resolve), nslookup of a fully
  // qualified name asked of kube-dns's ClusterIP
  assert.ok(seen.includes('productpage→details reach-probe'), 'bookinfo probes run in the debug container')
  assert.ok(seen.includes('alpine-dev1→details alpine'), 'alpine probes run in the pod’s own container')
  const pp = (r: { pod: string }) => r.pod.startsWith('productpage-v1')
  assert.ok(fake.execRequests.some((r) => pp(r) && JSON.stringify(r.command) === JSON.stringify(tcpProbeArgv({ ip: LAB_CLUSTER_IPS.details!, port: 9080 }, T))))
  assert.ok(fake.execRequests.some((r) => pp(r) && JSON.stringify(r.command) === JSON.stringify(dnsProbeArgv({ server: LAB_CLUSTER_IPS['kube-dns']! }, T))))
  assert.equal(cell('productpage', 'details')!.command, 'kubectl exec -n dev1 productpage-v1-bcc6748f7-dh26s -c reach-probe -- nc -vv -z -w 1 198.19.40.113 9080')
  assert.equal(cell('productpage', 'dns')!.command, 'kubectl exec -n dev1 productpage-v1-bcc6748f7-dh26s -c reach-probe -- nslookup -timeout=1 -retry=2 kubernetes.default.svc.cluster.local. 198.19.32.10')
  // errors are never mismatches; DNS dropped for reviews v3 while the policies allow it is one (probed again, still so)
  assert.equal(p.summary?.mismatches, 1)
  assert.equal(p.summary?.errors, 8)
  assert.deepEqual(p.summary?.settling && { cells: p.summary.settling.cells, agreed: p.summary.settling.agreed, rounds: p.summary.settling.rounds }, { cells: 2, agreed: 0, rounds: 3 })
  assert.match(cell('reviews-v3', 'dns')!.reason, /probed again .* \(settling round 3\); the first probe saw: denied: dropped/)
})

test('a source pod that is not there: its row is errors, the rest of the matrix runs', async () => {
  const alpine = find('Pod', 'default', 'alpine')!
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

test('a Service without ready endpoints: refused or timed out, its column is "no endpoints", never allowed or denied', async () => {
  const reviews = labServiceObjects().find((s) => s.metadata.name === 'reviews')!
  const slice = endpointSliceFor(reviews, objects() as never, true) as KubeObject
  const ready = find('EndpointSlice', 'dev1', slice.metadata.name)!
  fake.upsert(slice)
  fake.onExec(labExecHandler({
    deniedMs: 100,
    // kube-proxy's REJECT: ICMP port-unreachable, rate-limited (some probes see it, some time out)
    override: (row, col, req) => (col !== 'reviews' ? undefined : row.startsWith('alpine') ? droppedScript(req, 100) : refusedScript(req)),
  }))
  try {
    const { p } = await runMatrix()
    for (const row of [...BOOKINFO_ROWS, 'alpine-dev1', 'alpine-default']) {
      assert.deepEqual(said(p, row, 'reviews'), ['error', 'no-endpoints'], `${row}→reviews`)
    }
    assert.match(cellOf(p)('productpage', 'reviews')!.reason, /the Service has no ready endpoints/)
    assert.deepEqual(said(p, 'productpage', 'details'), ['allowed', 'connected'], 'other columns unchanged')
  } finally {
    fake.upsert(ready)
  }
})

test("Felix's deny action Reject: a refused probe is denied (rejected), as is one the rate limit left to time out", async () => {
  fake.upsert(felixConfiguration('Reject'))
  fake.onExec(labExecHandler({
    deniedMs: 100,
    override: (row, col, req) => {
      const intended = intendedMatrixCells().includes(`${row}→${col}`)
      if (col === 'dns' || intended) return undefined
      return row === 'alpine-dev1' ? droppedScript(req, 100) : refusedScript(req)
    },
  }))
  try {
    const { p, info } = await runMatrix()
    assert.match(info, /deny action is Reject/)
    assert.deepEqual(said(p, 'alpine-default', 'productpage'), ['denied', 'rejected'])
    assert.deepEqual(said(p, 'alpine-dev1', 'productpage'), ['denied', 'rejected'])
    assert.deepEqual(said(p, 'productpage', 'details'), ['allowed', 'connected'])
    assert.equal(p.summary?.mismatches, 0, printReachability(p))
    assert.equal(p.summary?.errors, 0)
  } finally {
    fake.upsert(felixConfiguration())
  }
})

test('a target Service that is not there: its column says so (no ClusterIP to aim at); outside clients still aim at a pod', async () => {
  const details = find('Service', 'dev1', 'details')!
  fake.remove('v1', 'Service', 'dev1', 'details')
  try {
    const { p } = await runMatrix()
    for (const row of [...BOOKINFO_ROWS, 'alpine-dev1', 'alpine-default']) assert.deepEqual(said(p, row, 'details'), ['error', 'no-service'], `${row}→details`)
    assert.match(cellOf(p)('ratings', 'details')!.reason, /Service dev1\/details not found: no ClusterIP to aim at/)
    assert.deepEqual(said(p, 'host1', 'details'), ['denied', 'dropped'])
  } finally {
    fake.upsert(details)
  }
})

test('the worker pool bound holds: never more exec streams open than `concurrency`', async () => {
  fake.onExec(labExecHandler({ deniedMs: 40, allowedMs: 40 }))
  let peak = 0
  const sampler = setInterval(() => (peak = Math.max(peak, fake.openExecStreams)), 1)
  const before = fake.execRequests.length
  const started = Date.now()
  const { p, info } = await runMatrix('matrix-bounded')
  clearInterval(sampler)
  assert.equal(p.summary?.concurrency, 3)
  assert.ok(peak <= 3, `peak ${peak} open exec streams`)
  assert.ok(peak >= 2, `the pool was used in parallel (peak ${peak})`)
  assert.equal(fake.execRequests.length - before, 40, 'one exec per pod cell')
  assert.ok(Date.now() - started >= (40 / 3) * 40 * 0.8, 'bounded: the probes queued')
  assert.match(info, /up to 3 at a time \(peak 3\)/)
})

test('the unbounded catalog matrix probes every cell at once: about one probe timeout in all', async () => {
  fake.onExec(labExecHandler({ deniedMs: T * 1000 }))
  const started = Date.now()
  const { p } = await runMatrix()
  const took = Date.now() - started
  assert.ok(took < T * 1000 * 1.6, `took ${took} ms for ${p.summary?.probes} probes with a ${T} s timeout`)
})

test('debug containers: added once per bookinfo pod, PID 1 a reaping shell; reused; an ended one is replaced', async () => {
  await runMatrix()
  for (const pod of bookinfoPods()) {
    const list = ephemeral(pod)
    assert.deepEqual(list.map((c) => c.name), ['reach-probe'], pod.metadata.name)
    assert.equal(list[0]!.image, 'docker.io/library/busybox:1.36')
    assert.deepEqual(list[0]!.command, DEBUG_INIT, 'not `sleep` as PID 1: it would never reap, and ignore SIGTERM')
    assert.deepEqual(list[0]!.securityContext?.capabilities, { drop: ['ALL'] })
  }
  assert.equal(ephemeral(find('Pod', 'dev1', 'alpine')!).length, 0, 'alpine has nc: no debug container')
  await runMatrix()
  for (const pod of bookinfoPods()) assert.equal(ephemeral(pod).length, 1, `${pod.metadata.name}: reused`)

  // the container ended in one pod: a fresh one is added next to it
  const ratings = podOf('ratings-v1')
  const status = ratings.status as { ephemeralContainerStatuses: Array<{ state: object }> }
  status.ephemeralContainerStatuses[0]!.state = { terminated: { exitCode: 0, reason: 'Completed' } }
  fake.upsert(ratings)
  const { p } = await runMatrix()
  assert.deepEqual(ephemeral(podOf('ratings-v1')).map((c) => c.name), ['reach-probe', 'reach-probe-2'])
  assert.match(cellOf(p)('ratings', 'details')!.command, /-c reach-probe-2 /)
})

test('a debug container stuck on an image pull is never reused: the next one gets a new name and the row probes', async () => {
  const before = ephemeral(podOf('reviews-v1')).map((c) => c.name)
  const reviews = podOf('reviews-v1')
  const status = reviews.status as { ephemeralContainerStatuses: Array<{ name: string; state: object }> }
  const stuck = status.ephemeralContainerStatuses.find((s) => s.name === before.at(-1))!
  stuck.state = imagePullWaiting('ImagePullBackOff', 'docker.io/library/busybox:1.36')
  fake.upsert(reviews)
  const { p, info } = await runMatrix()
  const after = ephemeral(podOf('reviews-v1')).map((c) => c.name)
  assert.equal(after.length, before.length + 1, 'one more container')
  const fresh = after.at(-1)!
  assert.ok(!before.includes(fresh), `a new name: ${fresh}`)
  assert.match(info, new RegExp(`adding ephemeral container ${fresh} .*not reusing ${before.at(-1)}: ImagePullBackOff: Back-off pulling image "docker.io/library/busybox:1.36"`))
  // the row probes again (reviews v1 may not resolve names: its query runs and is dropped)
  assert.deepEqual(said(p, 'reviews-v1', 'dns'), ['denied', 'dropped'])
  assert.match(cellOf(p)('reviews-v1', 'dns')!.command, new RegExp(` -c ${fresh} `))
})

test('a debug image that cannot be pulled: its rows are "image not pulled" errors at once, with the kubelet’s reason; fixed, the next run adds fresh containers', async () => {
  fake.onEphemeralContainer((_pod, c) => imagePullWaiting('ErrImagePull', c.image))
  const counts = new Map(bookinfoPods().map((o) => [o.metadata.name, ephemeral(o).length]))
  let result: Awaited<ReturnType<typeof runMatrix>>
  try {
    result = await runMatrix('matrix-missing-image')
  } finally {
    fake.onEphemeralContainer(undefined)
  }
  const { p, ms } = result
  assert.ok(ms < 15_000, `no 60 s wait for a container that cannot start (${ms} ms)`)
  for (const row of BOOKINFO_ROWS) {
    for (const to of ['productpage', 'details', 'reviews', 'ratings', 'dns']) assert.deepEqual(said(p, row, to), ['error', 'image-not-pulled'], `${row}→${to}`)
  }
  assert.match(cellOf(p)('details', 'ratings')!.reason, /ErrImagePull: rpc error: code = NotFound desc = failed to pull and unpack image "docker\.io\/library\/busybox:9\.99"/)
  assert.deepEqual(said(p, 'alpine-default', 'dns'), ['allowed', 'answered'], 'the alpine rows need no debug image')
  for (const pod of bookinfoPods()) assert.equal(ephemeral(pod).length, counts.get(pod.metadata.name)! + 1, pod.metadata.name)

  // the image is there now (a mirror, a pre-load): the stuck containers are passed over, new ones start
  const { p: fixed } = await runMatrix('matrix-missing-image')
  // the rows probe again: DNS answers the callers and is dropped for the others, as the policies say
  for (const row of BOOKINFO_ROWS) assert.deepEqual(said(fixed, row, 'dns'), DNS_ROWS.has(row) ? ['allowed', 'answered'] : ['denied', 'dropped'], row)
  for (const pod of bookinfoPods()) assert.equal(ephemeral(pod).length, counts.get(pod.metadata.name)! + 2, pod.metadata.name)
})

test('a debug container with another image is not reused: the catalog’s image is what probes run in', async () => {
  const { p } = await runMatrix('matrix-new-image')
  for (const pod of bookinfoPods()) {
    const last = ephemeral(pod).at(-1)!
    assert.equal(last.image, 'docker.io/library/busybox:1.37', pod.metadata.name)
  }
  const last = ephemeral(podOf('details-v1')).at(-1)!.name
  assert.match(cellOf(p)('details', 'ratings')!.command, new RegExp(` -c ${last} `))
  // and back: the 1.36 containers still running are reused, nothing new is added
  const counts = bookinfoPods().map((o) => ephemeral(o).length)
  await runMatrix()
  assert.deepEqual(bookinfoPods().map((o) => ephemeral(o).length), counts)
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
      assert.equal(o.evidence, 'exec-failed')
      assert.match(o.reason, /docker is not installed on this machine/)
    }
  } finally {
    process.env.PATH = saved
  }
})
