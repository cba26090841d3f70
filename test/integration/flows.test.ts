// Reading Calico's flow logs through client-node against the fake API server and a fake whisker pod (test/fakeWhisker:
// whisker-backend v3.31.7's JSON behind nginx's routing), carried by a real WebSocket port-forward: list, watch
// stream, late records, a stream that drops, missing or broken components, and cancel leaving nothing open.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startFakeKube } from '../fakeKube/server.ts'
import type { FakeKube } from '../fakeKube/server.ts'
import { startFakeWhisker } from '../fakeWhisker/server.ts'
import type { FakeWhisker, FakeWhiskerOptions } from '../fakeWhisker/server.ts'
import { attachPortForward } from '../fakeWhisker/portForward.ts'
import type { PortForwardBridge } from '../fakeWhisker/portForward.ts'
import { whiskerObjects, whiskerPod, whiskerService, WHISKER_POD } from '../fakeWhisker/objects.ts'
import { endOfTier, flowResponse, hit } from '../fakeWhisker/records.ts'
import type { RecordInput } from '../fakeWhisker/records.ts'
import { collectCellFlows, FlowsError, WhiskerFlowsReader } from '../../demo-server/src/flows/index.ts'
import type { FlowCell, FlowsErrorKind, ReaderOptions } from '../../demo-server/src/flows/index.ts'

interface Lab {
  kube: FakeKube
  whisker: FakeWhisker
  bridge: PortForwardBridge
  reader: WhiskerFlowsReader
}

async function lab(t: { after: (fn: () => Promise<void>) => void }, opts: { objects?: object[]; whisker?: FakeWhiskerOptions; reader?: ReaderOptions; podPort?: number } = {}): Promise<Lab> {
  const kube = await startFakeKube({ objects: opts.objects ?? whiskerObjects() })
  const whisker = await startFakeWhisker(opts.whisker)
  const bridge = attachPortForward(kube, { pods: [`calico-system/${WHISKER_POD}`], port: opts.podPort ?? 8081, upstream: { host: '127.0.0.1', port: whisker.port } })
  t.after(async () => {
    bridge.detach()
    await whisker.close()
    await kube.close()
  })
  return { kube, whisker, bridge, reader: new WhiskerFlowsReader(kube.kubeConfig(), { connectTimeoutMs: 5000, ...opts.reader }) }
}

const now = (): number => Math.floor(Date.now() / 1000)
const PRODUCTPAGE = { name: 'productpage-v1-7d6cf6b8c4-*', namespace: 'dev1', labels: { app: 'productpage', version: 'v1' } }
const DETAILS = { name: 'details-v1-5f9c8b7d6e-*', namespace: 'dev1', labels: { app: 'details', version: 'v1' }, port: 9080 }
const COREDNS = { name: 'coredns-674b8bbfcf-*', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, port: 53 }

function details(at: number, reporter: 'Src' | 'Dst', action: 'Allow' | 'Deny' = 'Allow'): RecordInput {
  return {
    at, action, reporter, source: PRODUCTPAGE, dest: DETAILS,
    enforced: [hit('CalicoNetworkPolicy', reporter === 'Src' ? 'default-deny' : 'details', { namespace: 'dev1', action, rule: reporter === 'Src' ? 2 : 0 })],
  }
}

async function rejects(promise: Promise<unknown>, kind: FlowsErrorKind, message: RegExp): Promise<FlowsError> {
  try {
    await promise
  } catch (error) {
    assert.ok(error instanceof FlowsError, `a FlowsError, got ${String(error)}`)
    assert.equal(error.kind, kind, error.message)
    assert.match(error.message, message)
    return error
  }
  assert.fail(`expected a ${kind} FlowsError`)
}

test('list: both namespace queries merged, outside-window records left out, the Go shape parsed', async (t) => {
  const { whisker, reader, bridge } = await lab(t)
  const t0 = now()
  whisker.add(flowResponse(details(t0 - 5, 'Src')))
  whisker.add(flowResponse(details(t0 - 5, 'Dst')))
  whisker.add(flowResponse({ at: t0 - 5, action: 'Allow', reporter: 'Src', source: PRODUCTPAGE, dest: COREDNS, protocol: 'udp', enforced: [hit('CalicoNetworkPolicy', 'default-deny', { namespace: 'dev1', action: 'Allow' })] }))
  whisker.add(flowResponse({ at: t0 - 5, action: 'Deny', reporter: 'Dst', source: { name: 'PUBLIC NETWORK', namespace: '-' }, dest: { ...PRODUCTPAGE, port: 9080 }, enforced: [endOfTier({ kind: 'CalicoNetworkPolicy', name: 'default-deny', namespace: 'dev1' })] }))
  whisker.add(flowResponse(details(t0 - 400, 'Dst'))) // an earlier run, outside the window
  whisker.add(flowResponse({ at: t0 - 5, action: 'Allow', reporter: 'Dst', source: { name: 'alpine', namespace: 'default' }, dest: COREDNS, protocol: 'udp' })) // neither side in dev1

  const list = await reader.list({ namespaces: ['dev1'], start: (t0 - 10) * 1000, end: t0 * 1000 })
  assert.equal(list.records.length, 4, JSON.stringify(list.records.map((r) => `${r.reporter} ${r.source_name} → ${r.dest_name}`)))
  const names = list.records.map((r) => `${r.reporter}:${r.source_namespace}/${r.source_name}→${r.dest_namespace}/${r.dest_name}:${r.dest_port}/${r.protocol}`).sort()
  assert.deepEqual(names, [
    'Dst:-/PUBLIC NETWORK→dev1/productpage-v1-7d6cf6b8c4-*:9080/tcp',
    'Dst:dev1/productpage-v1-7d6cf6b8c4-*→dev1/details-v1-5f9c8b7d6e-*:9080/tcp',
    'Src:dev1/productpage-v1-7d6cf6b8c4-*→dev1/details-v1-5f9c8b7d6e-*:9080/tcp',
    'Src:dev1/productpage-v1-7d6cf6b8c4-*→kube-system/coredns-674b8bbfcf-*:53/udp',
  ])
  const denied = list.records.find((r) => r.action === 'Deny')
  assert.equal(denied?.policies.enforced?.[0]?.kind, 'EndOfTier')
  assert.equal(denied?.policies.enforced?.[0]?.trigger?.name, 'default-deny')
  assert.equal(denied?.policies.pending, null)
  assert.equal(list.pod, WHISKER_POD)
  assert.equal(list.dropped, 0)

  // what went over the wire: one query per side, the window widened by Goldmane's aggregation
  const queries = whisker.requests.map((r) => r.query)
  assert.equal(whisker.requests[0]?.path, '/whisker-backend/flows')
  assert.deepEqual(queries.map((q) => JSON.parse(q.filters ?? '{}')).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))), [
    { dest_namespaces: [{ value: 'dev1', type: 'Exact' }] },
    { source_namespaces: [{ value: 'dev1', type: 'Exact' }] },
  ])
  assert.equal(queries[0]?.startTimeGte, String(t0 - 10 - 30))
  assert.equal(queries[0]?.startTimeLt, String(t0 + 15))
  assert.match(bridge.requests[0]?.offered ?? '', /v4\.channel\.k8s\.io/)
  assert.equal(bridge.requests[0]?.protocol, 'v4.channel.k8s.io', 'the kubelet speaks v4; client-node offers it')
  assert.deepEqual(bridge.requests[0]?.ports, ['8081'])
  assert.match(list.commands[0] ?? '', /^kubectl port-forward -n calico-system service\/whisker 8081:8081$/)
  assert.match(list.commands[1] ?? '', /curl -sG 'http:\/\/localhost:8081\/whisker-backend\/flows' -d startTimeGte=\d+ -d startTimeLt=\d+ --data-urlencode 'filters=/)
  await whisker.settled()
  await bridge.settled()
})

test('list: an empty answer (items null) is no records; the cap keeps the newest and says so', async (t) => {
  const { whisker, reader } = await lab(t, { reader: { maxRecords: 2 } })
  const t0 = now()
  const empty = await reader.list({ namespaces: ['dev1'], start: (t0 - 10) * 1000, end: t0 * 1000 })
  assert.deepEqual(empty.records, [])
  for (let i = 0; i < 4; i++) whisker.add(flowResponse({ ...details(t0 - 100 + i * 20, 'Dst'), dest: { ...DETAILS, name: `details-v${i}-5f9c8b7d6e-*` } }))
  const capped = await reader.list({ namespaces: ['dev1'], start: (t0 - 120) * 1000, end: t0 * 1000 })
  assert.equal(capped.records.length, 2)
  assert.equal(capped.dropped, 2)
  assert.match(capped.notes[0] ?? '', /2 older flow records left out \(the reader keeps 2\)/)
  assert.ok(Date.parse(capped.records[0]!.end_time) >= Date.parse(capped.records[1]!.end_time), 'newest first')
})

test('list: an answer over maxBodyBytes is refused, not half-read', async (t) => {
  const { whisker, reader, bridge } = await lab(t, { reader: { maxBodyBytes: 1500 } })
  const t0 = now()
  for (let i = 0; i < 6; i++) whisker.add(flowResponse({ ...details(t0 - 100 + i * 15, 'Dst'), dest: { ...DETAILS, name: `details-v${i}-5f9c8b7d6e-*` } }))
  await rejects(reader.list({ namespaces: ['dev1'], start: (t0 - 120) * 1000, end: t0 * 1000 }), 'too-large', /larger than 0 MiB|narrow the window/)
  await whisker.settled()
  await bridge.settled()
})

test('late records: waiting for flow logs polls until every cell has its record, reporting progress', async (t) => {
  const { whisker, reader } = await lab(t)
  const t0 = now()
  whisker.add(flowResponse(details(t0, 'Src')))
  whisker.add(flowResponse(details(t0, 'Dst')), Date.now() + 1200) // the destination node's flush comes later
  const cell: FlowCell = {
    key: 'productpage|details',
    from: { namespace: 'dev1', pod: 'productpage-v1-7d6cf6b8c4-abcde', generateName: 'productpage-v1-7d6cf6b8c4-', ip: '198.19.16.10' },
    to: { namespace: 'dev1', service: 'details', backends: [{ namespace: 'dev1', pod: 'details-v1-5f9c8b7d6e-fghij', generateName: 'details-v1-5f9c8b7d6e-' }], port: 9080, protocol: 'TCP' },
    windowStart: t0 * 1000,
    windowEnd: t0 * 1000 + 500,
  }
  const progress: string[] = []
  const collected = await collectCellFlows(reader, [cell], {
    namespaces: ['dev1'], pollMs: 300, deadlineMs: 10_000,
    onProgress: (results, waiting) => progress.push(`${results[0]?.state}${waiting ? '…' : ''}`),
  })
  assert.equal(progress[0], 'partial…', 'first read: only the source side')
  assert.equal(progress.at(-1), 'allowed')
  assert.equal(collected.complete, true)
  assert.ok(collected.reads >= 2)
  assert.equal(collected.results[0]?.enforced?.text, 'tier default › dev1/details › Allow (rule 0)')
  assert.equal(collected.results[0]?.source?.enforced?.name, 'default-deny')
})

test('late records: the wait is bounded; a cell with no record says so', async (t) => {
  const { reader } = await lab(t)
  const t0 = Date.now()
  const cell: FlowCell = {
    key: 'alpine|ratings',
    from: { namespace: 'dev1', pod: 'alpine', ip: '198.19.16.20' },
    to: { namespace: 'dev1', backends: [{ namespace: 'dev1', pod: 'ratings-v1-6d5b4c3a2f-klmno' }], port: 9080, protocol: 'TCP' },
    windowStart: t0 - 1000,
    windowEnd: t0 - 900,
  }
  const started = Date.now()
  const collected = await collectCellFlows(reader, [cell], { namespaces: ['dev1'], pollMs: 200, deadlineMs: 500 })
  assert.ok(Date.now() - started < 5000, 'gave up at the deadline')
  assert.equal(collected.complete, false)
  assert.equal(collected.results[0]?.state, 'no-record')
  assert.match(collected.results[0]?.note ?? '', /no flow record from dev1\/alpine to dev1:9080\/TCP/)
})

test('stream: backfill then records as they arrive, duplicates passed once, other namespaces left out', async (t) => {
  const { whisker, reader, bridge } = await lab(t)
  const t0 = now()
  const first = flowResponse(details(t0 - 20, 'Dst'))
  whisker.add(first)
  whisker.add(first) // Goldmane can send a bucket twice (backfill + rollover); the Whisker UI drops the copy
  whisker.add(flowResponse({ at: t0 - 20, action: 'Allow', reporter: 'Dst', source: { name: 'alpine', namespace: 'default' }, dest: COREDNS, protocol: 'udp' }))
  whisker.add(flowResponse(details(t0, 'Dst', 'Deny')), Date.now() + 300)
  const stream = await reader.stream({ namespaces: ['dev1'], since: (t0 - 60) * 1000 })
  assert.match(stream.commands[1] ?? '', /curl -sG -N .* -d watch=true -d startTimeGte=\d+$/)
  const seen: string[] = []
  for await (const r of stream.records) {
    seen.push(`${r.action} ${r.dest_name}`)
    if (seen.length === 2) break
  }
  assert.deepEqual(seen, ['Allow details-v1-5f9c8b7d6e-*', 'Deny details-v1-5f9c8b7d6e-*'])
  assert.equal(whisker.requests.at(-1)?.query.watch, 'true')
  await whisker.settled()
  await bridge.settled()
})

test('stream: a stream the server drops ends with stream-dropped, after the records it did send', async (t) => {
  const { whisker, reader, bridge } = await lab(t, { whisker: { dropStreamAfter: 2 } })
  const t0 = now()
  for (let i = 0; i < 4; i++) whisker.add(flowResponse(details(t0 - 60 + i * 15, 'Dst')))
  const stream = await reader.stream({ namespaces: ['dev1'], since: (t0 - 90) * 1000 })
  const got: string[] = []
  const error = await rejects((async () => {
    for await (const r of stream.records) got.push(r.start_time)
  })(), 'stream-dropped', /after 2 records/)
  assert.equal(got.length, 2)
  assert.ok(error.message.length > 0)
  await bridge.settled()
})

test('cancel: aborting a stream closes the request, the port-forward and the WebSocket', async (t) => {
  const { whisker, reader, bridge } = await lab(t)
  const controller = new AbortController()
  const stream = await reader.stream({ namespaces: ['dev1'], signal: controller.signal })
  assert.equal(whisker.openRequests, 1, 'the watch is open on whisker')
  assert.equal(bridge.open, 1, 'one port-forward WebSocket')
  const done = (async () => {
    const got = []
    for await (const r of stream.records) got.push(r)
    return got
  })()
  await new Promise((r) => setTimeout(r, 100))
  controller.abort()
  assert.deepEqual(await done, [], 'the iteration ends quietly')
  await whisker.settled()
  await bridge.settled()
})

test('cancel: aborting a list mid-way rejects with cancelled and leaves nothing open', async (t) => {
  const { kube, whisker, reader, bridge } = await lab(t)
  kube.latencyMs = 300
  const controller = new AbortController()
  const pending = reader.list({ namespaces: ['dev1'], start: Date.now() - 10_000, end: Date.now(), signal: controller.signal })
  setTimeout(() => controller.abort(), 50)
  await rejects(pending, 'cancelled', /cancelled/)
  kube.latencyMs = 0
  await new Promise((r) => setTimeout(r, 400))
  assert.equal(whisker.openRequests, 0)
  assert.equal(bridge.open, 0)
  await rejects(reader.list({ namespaces: ['dev1'], start: 0, end: 1, signal: AbortSignal.abort() }), 'cancelled', /cancelled/)
})

test('missing: no Whisker Service → not-installed, naming the manifest that enables it', async (t) => {
  const { reader } = await lab(t, { objects: [] })
  await rejects(reader.list({ namespaces: ['dev1'], start: 0, end: 1000 }), 'not-installed', /no Service calico-system\/whisker.*manifests\/10-calico-installation\.yaml/)
  await rejects(reader.stream({ namespaces: ['dev1'] }), 'not-installed', /Whisker and Goldmane are enabled/)
})

test('missing: the Service without a Ready pod → not-ready, listing what is there', async (t) => {
  const { reader } = await lab(t, { objects: [whiskerService(), whiskerPod(WHISKER_POD, false)] })
  await rejects(reader.list({ namespaces: ['dev1'], start: 0, end: 1000 }), 'not-ready', /no Ready pod behind Service calico-system\/whisker \(k8s-app=whisker\); pods: whisker-6b7c9d8f55-q2x7m \(Running\)/)
})

test('broken: Goldmane down (whisker-backend answers 200 {"error"}) → backend-error', async (t) => {
  const { reader } = await lab(t, { whisker: { mode: 'goldmane-down' } })
  await rejects(reader.list({ namespaces: ['dev1'], start: 0, end: 1000 }), 'backend-error', /"Internal Server Error".*is Goldmane running/)
  await rejects(reader.stream({ namespaces: ['dev1'] }), 'backend-error', /refused a watch/)
})

test('broken: whisker-backend down behind nginx (502) → unreachable', async (t) => {
  const { reader } = await lab(t, { whisker: { mode: 'backend-down' } })
  await rejects(reader.list({ namespaces: ['dev1'], start: 0, end: 1000 }), 'unreachable', /nginx answered 502: whisker-backend .* is not answering/)
})

test('broken: a whisker-backend without this API (404) → malformed, naming the release', async (t) => {
  const { reader } = await lab(t, { whisker: { mode: 'old-api' } })
  await rejects(reader.list({ namespaces: ['dev1'], start: 0, end: 1000 }), 'malformed', /404 for \/whisker-backend\/flows.*Calico v3\.31/)
})

test('broken: malformed JSON and a record off the v3.31 shape → malformed, naming the field', async (t) => {
  const cut = await lab(t, { whisker: { mode: 'not-json' } })
  await rejects(cut.reader.list({ namespaces: ['dev1'], start: 0, end: 1000 }), 'malformed', /not JSON/)
  const bad = await lab(t, { whisker: { mode: 'bad-record' } })
  const t0 = now()
  bad.whisker.add(flowResponse(details(t0 - 5, 'Dst')))
  await rejects(bad.reader.list({ namespaces: ['dev1'], start: (t0 - 10) * 1000, end: t0 * 1000 }), 'malformed', /items\[0\] is not a v3\.31 flow record: dest_port/)
  await rejects((async () => {
    const s = await bad.reader.stream({ namespaces: ['dev1'], since: (t0 - 60) * 1000 })
    for await (const _ of s.records) { /* the first event is bad */ }
  })(), 'malformed', /stream event 0 is not a v3\.31 flow record: reporter/)
})

test('forbidden: RBAC refusing the Service read or the port-forward → forbidden, saying which', async (t) => {
  const { kube, reader } = await lab(t)
  const undo = kube.respond({ pathPrefix: '/api/v1/namespaces/calico-system/services/whisker' }, 403)
  await rejects(reader.list({ namespaces: ['dev1'], start: 0, end: 1000 }), 'forbidden', /refused to read Service calico-system\/whisker/)
  undo()
  kube.respond({ pathPrefix: `/api/v1/namespaces/calico-system/pods/${WHISKER_POD}/portforward` }, 403)
  await rejects(reader.list({ namespaces: ['dev1'], start: 0, end: 1000 }), 'forbidden', /port-forward .* create on pods\/portforward/)
})

test('unreachable: nothing listening on the port inside the pod → the kubelet\'s message', async (t) => {
  const { reader } = await lab(t, { podPort: 3002 }) // the fake pod listens on 3002 only; the Service says 8081
  await rejects(reader.list({ namespaces: ['dev1'], start: 0, end: 1000 }), 'unreachable', /error forwarding port 8081 to pod whisker-6b7c9d8f55-q2x7m.*connection refused/)
})

test('unreachable: the API server gone → unreachable', async (t) => {
  const { kube, reader } = await lab(t)
  await kube.close()
  await rejects(reader.list({ namespaces: ['dev1'], start: 0, end: 1000 }), 'unreachable', /could not read Service calico-system\/whisker/)
})

test('bad input: no namespace, a bad namespace name, a window that ends before it starts', async (t) => {
  const { reader } = await lab(t)
  await rejects(reader.list({ namespaces: [], start: 0, end: 1 }), 'malformed', /at least one namespace/)
  await rejects(reader.list({ namespaces: ['Dev1'], start: 0, end: 1 }), 'malformed', /not a namespace name/)
  await rejects(reader.list({ namespaces: ['dev1'], start: 2, end: 1 }), 'malformed', /ends before it starts/)
})
