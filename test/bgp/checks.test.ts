// demo:check's BGP checks and the BGP slide's host1 step, against the fake API server (client-node for real) and a
// host1 that is a real network namespace: a stand-in `docker` on PATH turns `docker exec host1 CMD…` into
// `ip netns exec <host1> CMD…`, so host1's table is a real kernel's, printed by the real iproute2 (and, for one case,
// by the real BusyBox). calico-node is played by the test: it fills in the status of the CalicoNodeStatus objects
// the check creates, the way node/pkg/status/reporter.go does (a plain update of the whole object).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CoreV1Api } from '@kubernetes/client-node'
import { bgpChecks } from '../../demo-server/src/bgp/checks.ts'
import type { BgpCheck, BgpCheckOptions } from '../../demo-server/src/bgp/checks.ts'
import type { CalicoNodeStatus } from '../../demo-server/src/bgp/nodeStatus.ts'
import { NODE_STATUS_LABEL, NODE_STATUS_MANAGER } from '../../demo-server/src/bgp/nodeStatus.ts'
import { Catalog, defaultActions } from '../../demo-server/src/catalog/index.ts'
import { LAB } from '../../demo-server/src/catalog/lab.ts'
import { host1BgpRoutes } from '../../demo-server/src/catalog/routing.ts'
import { runHostProgram } from '../../demo-server/src/host/programs.ts'
import { REPO_ROOT } from '../../demo-server/src/manifests.ts'
import { formatChecklist, runPreflight } from '../../demo-server/src/preflight.ts'
import type { Run } from '../../demo-server/src/protocol.ts'
import { Runner } from '../../demo-server/src/runner/index.ts'
import { RunStore } from '../../demo-server/src/runStore.ts'
import { netnsUnavailable, withNetLab } from '../../scripts/lib/netns.ts'
import type { NetLab } from '../../scripts/lib/netns.ts'
import { startFakeKube } from '../fakeKube/server.ts'
import type { FakeKube, KubeObject } from '../fakeKube/server.ts'
import { labObjects } from '../support/labObjects.ts'

const NODES = { control: '198.19.0.1', node1: '198.19.0.2', node2: '198.19.0.3' } as const
type Node = keyof typeof NODES
/** labObjects() runs productpage on node2 */
const ENDPOINT: Node = 'node2'

// ---- calico-node, played by the test ---------------------------------------------------------------------------

type Peer = { peerIP: string; type: 'NodeMesh' | 'GlobalPeer'; state: string; since: string }
/** What calico-node v3.31.7 writes for a node whose sessions are all up (nodestatus.go field names). */
function statusOf(node: Node, change: (peers: Peer[]) => Peer[] = (p) => p): NonNullable<CalicoNodeStatus['status']> {
  const peers = change([
    ...(Object.keys(NODES) as Node[]).filter((n) => n !== node).map((n) => ({ peerIP: NODES[n], type: 'NodeMesh' as const, state: 'Established', since: '09:41:07' })),
    { peerIP: LAB.host1Ip, type: 'GlobalPeer', state: 'Established', since: '09:41:09' },
  ])
  const up = peers.filter((p) => p.state === 'Established').length
  return {
    lastUpdated: new Date().toISOString(),
    agent: { birdV4: { state: 'Ready', version: 'v0.3.3+birdv1.6.8', routerID: NODES[node] } },
    bgp: { numberEstablishedV4: up, numberNotEstablishedV4: peers.length - up, peersV4: peers as never },
  }
}

/** Fills in the status of every CalicoNodeStatus without one, as calico-node on its node would; returns a stop. */
function calicoNode(fake: FakeKube, report: (node: Node) => CalicoNodeStatus['status'] | undefined): () => void {
  const timer = setInterval(() => {
    for (const o of fake.objects() as (KubeObject & CalicoNodeStatus)[]) {
      if (o.kind !== 'CalicoNodeStatus' || o.status?.lastUpdated) continue
      const status = report(o.spec?.node as Node)
      if (status) fake.upsert({ ...o, status })
    }
  }, 50)
  return () => clearInterval(timer)
}

// ---- host1: a namespace, reached through a stand-in docker -----------------------------------------------------

let bin: string
let fake: FakeKube
const savedPath = process.env.PATH

before(async () => {
  const why = netnsUnavailable()
  if (why) throw new Error(`these tests read host1's table from a real network namespace: ${why}`)
  bin = mkdtempSync(join(tmpdir(), 'bgp-checks-'))
  // `docker exec host1 CMD…` → CMD in the namespace named by $HOST1_NS (BUSYBOX_IP=1: BusyBox's ip instead)
  writeFileSync(join(bin, 'docker'), [
    '#!/bin/sh',
    '[ "$1" = exec ] && [ "$2" = host1 ] || { echo "stand-in docker: only exec host1, got: $*" >&2; exit 1; }',
    'shift 2',
    '[ -n "$BUSYBOX_IP" ] && [ "$1" = ip ] && set -- busybox "$@"',
    'exec ip netns exec "$HOST1_NS" "$@"',
    '',
  ].join('\n'))
  chmodSync(join(bin, 'docker'), 0o755)
  process.env.PATH = `${bin}:${savedPath}`
  // calico-node's pods, one per node (the fixes name the pod of the node that is red)
  const calicoNodePods = (Object.keys(NODES) as Node[]).map((n) => ({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: `calico-node-${n}x`, namespace: 'calico-system', labels: { 'k8s-app': 'calico-node' } },
    spec: { nodeName: n, hostNetwork: true, containers: [{ name: 'calico-node', image: 'quay.io/calico/node:v3.31.7' }] },
    status: { phase: 'Running', podIP: NODES[n] },
  }))
  fake = await startFakeKube({ objects: [...labObjects(), ...calicoNodePods] })
  // the lab's productpage pod, Ready (as the kubelet reports it)
  const pod = (fake.objects() as KubeObject[]).find((o) => o.kind === 'Pod' && o.metadata.name.startsWith('productpage-'))!
  fake.upsert({ ...pod, status: { ...(pod.status as object), conditions: [{ type: 'Ready', status: 'True' }] } })
})
after(async () => {
  process.env.PATH = savedPath
  delete process.env.HOST1_NS
  await fake.close()
  rmSync(bin, { recursive: true, force: true })
})

/** A host1 namespace whose kernel holds `routes` (ip route add arguments, proto bird added), for the callback. */
async function withHost1<T>(routes: string[][], fn: () => Promise<T>): Promise<T> {
  return withNetLab('bgpcheck', async (lab: NetLab) => {
    const host1 = await lab.ns('host1')
    const lan = await lab.ns('lan')
    await lab.link({ ns: host1, ifname: 'eth0', addr: `${LAB.host1Ip}/20` }, { ns: lan, ifname: 'eth0', addr: '198.19.0.254/20' })
    for (const r of routes) {
      const added = await lab.exec(host1, ['ip', 'route', 'add', r[0]!, 'proto', 'bird', 'metric', '32', ...r.slice(1)])
      assert.equal(added.exitCode, 0, added.stderr)
    }
    process.env.HOST1_NS = host1
    try {
      return await fn()
    } finally {
      delete process.env.HOST1_NS
    }
  })
}

const runHost = (argv: readonly string[]) => runHostProgram(argv, { signal: new AbortController().signal, timeoutMs: 10_000 })
const options = (extra: Partial<BgpCheckOptions> = {}): BgpCheckOptions => ({ lab: 'kind', runHost, statusWaitMs: 5_000, ...extra })
async function checks(extra: Partial<BgpCheckOptions> = {}): Promise<BgpCheck[]> {
  const nodes = (await fake.kubeConfig().makeApiClient(CoreV1Api).listNode()).items
  return bgpChecks(fake.kubeConfig(), { version: { ok: true }, nodes: { ok: true, value: nodes } }, options(extra))
}
const byId = (list: BgpCheck[], id: string) => list.find((c) => c.id === id)!
const clearStatuses = () => {
  for (const o of fake.objects() as KubeObject[]) if (o.kind === 'CalicoNodeStatus') fake.remove('projectcalico.org/v3', 'CalicoNodeStatus', undefined, o.metadata.name)
}
const ONE_HOP = [['198.19.48.10/32', 'via', NODES[ENDPOINT]]]

// ---- CalicoNodeStatus ------------------------------------------------------------------------------------------

test('BGP sessions: the check creates a CalicoNodeStatus per node (server-side apply), and all Established is green', async () => {
  clearStatuses()
  const requestsBefore = fake.requests.length
  const stop = calicoNode(fake, (node) => statusOf(node))
  try {
    const list = await withHost1(ONE_HOP, () => checks())
    for (const node of Object.keys(NODES)) {
      const c = byId(list, `bgp-${node}`)
      assert.equal(c.status, 'pass', `${node}: ${c.detail} / ${c.fix}`)
      assert.match(c.detail, /BIRD Ready/)
      assert.match(c.detail, new RegExp(`host1 \\(${LAB.host1Ip.replaceAll('.', '\\.')}\\) Established`))
      assert.equal(c.detail.match(/mesh .* Established/g)?.length, 1)
    }
    const applies = fake.requests.slice(requestsBefore).filter((r) => r.method === 'PATCH')
    assert.deepEqual(applies.map((r) => `${r.path} ${r.contentType} ${r.query.fieldManager}`).sort(),
      Object.keys(NODES).map((n) => `/apis/projectcalico.org/v3/caliconodestatuses/${n} application/apply-patch+yaml ${NODE_STATUS_MANAGER}`).sort())
    const made = (fake.objects() as (KubeObject & CalicoNodeStatus)[]).filter((o) => o.kind === 'CalicoNodeStatus')
    assert.deepEqual(made.map((o) => [o.metadata.name, o.spec]).sort(), Object.keys(NODES).map((n) => [n, { node: n, classes: ['Agent', 'BGP'], updatePeriodSeconds: 10 }]))
    assert.ok(made.every((o) => o.metadata.labels?.[NODE_STATUS_LABEL] === NODE_STATUS_MANAGER))
  } finally {
    stop()
  }
  // a second run finds them (reported): it applies nothing and waits for nothing
  const again = fake.requests.length
  const started = Date.now()
  const list = await withHost1(ONE_HOP, () => checks())
  assert.ok(list.filter((c) => c.id.startsWith('bgp-')).every((c) => c.status === 'pass'))
  assert.deepEqual(fake.requests.slice(again).filter((r) => r.method !== 'GET'), [])
  assert.ok(Date.now() - started < 3_000, `took ${Date.now() - started} ms`)
})

test('BGP sessions: one peer Active is red on its node, with the fix for that session', async () => {
  clearStatuses()
  const stop = calicoNode(fake, (node) => statusOf(node, (peers) => (node === 'node1' ? peers.map((p) => (p.type === 'GlobalPeer' ? { ...p, state: 'Active', since: '09:52:13' } : p)) : peers)))
  try {
    const list = await withHost1(ONE_HOP, () => checks())
    assert.deepEqual(list.filter((c) => c.status === 'fail').map((c) => c.id), ['bgp-node1'])
    const c = byId(list, 'bgp-node1')
    assert.equal(c.detail, `host1 (${LAB.host1Ip}) Active since 09:52:13`)
    assert.match(c.fix, /docker exec host1 birdc -s \/run\/bird\.ctl show protocols/, 'kind: host1’s side')
    assert.match(c.fix, /TCP 179/)
    assert.match(c.fix, /kubectl exec -n calico-system calico-node-node1x -c calico-node -- birdcl -s \/var\/run\/calico\/bird\.ctl show protocols all Global_198_19_15_254/, 'the node’s side of that very session')
  } finally {
    stop()
  }
  // a mesh session down names the other node and BIRD's protocol for it
  clearStatuses()
  const stopMesh = calicoNode(fake, (node) => statusOf(node, (peers) => (node === 'control' ? peers.map((p) => (p.peerIP === NODES.node2 ? { ...p, state: 'Connect' } : p)) : peers)))
  try {
    const c = byId(await checks({ runHost: undefined }), 'bgp-control')
    assert.equal(c.status, 'fail')
    assert.match(c.detail, /^mesh node2 \(198\.19\.0\.3\) Connect/)
    assert.match(c.fix, /TCP 179 must be open between control and node2/)
    assert.match(c.fix, /Mesh_198_19_0_3/)
  } finally {
    stopMesh()
  }
})

test('BGP sessions: a status calico-node never fills is "has not reported", within the bound', async () => {
  clearStatuses()
  const started = Date.now()
  const list = await checks({ runHost: undefined, statusWaitMs: 1_500 })
  const took = Date.now() - started
  assert.ok(took >= 1_400 && took < 4_000, `returned after ${took} ms for a 1.5 s bound`)
  for (const node of Object.keys(NODES)) {
    const c = byId(list, `bgp-${node}`)
    assert.equal(c.status, 'fail')
    assert.match(c.detail, new RegExp(`calico-node on ${node} has not reported within [12] s`))
    assert.match(c.fix, /kubectl get pods -n calico-system -o wide/)
  }
  // the run's cancel ends the wait at once
  clearStatuses()
  const controller = new AbortController()
  const t0 = Date.now()
  setTimeout(() => controller.abort(), 200)
  await assert.rejects(checks({ runHost: undefined, statusWaitMs: 10_000, signal: controller.signal }))
  assert.ok(Date.now() - t0 < 2_000, `cancelled after ${Date.now() - t0} ms`)
})

// ---- host1's route ---------------------------------------------------------------------------------------------

async function routeCheck(routes: string[][], extra: Partial<BgpCheckOptions> = {}): Promise<BgpCheck> {
  const stop = calicoNode(fake, (node) => statusOf(node))
  try {
    return byId(await withHost1(routes, () => checks(extra)), 'host1-route')
  } finally {
    stop()
  }
}

test('host1 route: one next hop, the endpoint node → green', async () => {
  const c = await routeCheck(ONE_HOP)
  assert.equal(c.status, 'pass', `${c.detail} / ${c.fix}`)
  assert.match(c.detail, /198\.19\.48\.10\/32 via 198\.19\.0\.3 alone, productpage on node2/)
})

test('host1 route: three next hops (ECMP) → red, with the 20-calico-bgp.yaml fix', async () => {
  const c = await routeCheck([['198.19.48.10/32', 'nexthop', 'via', NODES.control, 'nexthop', 'via', NODES.node1, 'nexthop', 'via', NODES.node2]])
  assert.equal(c.status, 'fail')
  assert.match(c.detail, /198\.19\.48\.10\/32 leads to control, node1, node2, not to node2 alone/)
  assert.match(c.fix, /kubectl apply --server-side -f manifests\/20-calico-bgp\.yaml/)
  assert.match(c.fix, /BGPFilter host1-loadbalancer-only, nextHopMode Keep/)
})

test('host1 route: no route → red; the aggregate and pod blocks each with their own fix', async () => {
  const none = await routeCheck([])
  assert.equal(none.status, 'fail')
  assert.match(none.detail, /no route to 198\.19\.48\.10/)
  assert.match(none.fix, /node2 does not advertise 198\.19\.48\.10/)
  const aggregate = await routeCheck([['198.19.48.0/24', 'via', NODES.node2], ['198.19.16.64/26', 'via', NODES.node1]])
  assert.equal(aggregate.status, 'fail')
  assert.match(aggregate.detail, /198\.19\.48\.0\/24 is an aggregate of the LoadBalancer range/, 'red even though it leads to the endpoint node')
  assert.match(aggregate.detail, /pod block 198\.19\.16\.64\/26 reaches the outside router \(via node1\)/)
  assert.match(aggregate.fix, /serviceLoadBalancerAggregation: Disabled/)
  assert.match(aggregate.fix, /rejects everything but the LoadBalancer \/32s/)
})

test('host1 route: one next hop, but another node → red', async () => {
  const c = await routeCheck([['198.19.48.10/32', 'via', NODES.node1]])
  assert.equal(c.status, 'fail')
  assert.match(c.detail, /198\.19\.48\.10\/32 leads to node1, not to node2 alone \(productpage on node2 \(198\.19\.0\.3\)\)/)
  assert.match(c.fix, /host1 follows another node than node2/)
})

test('host1 route: BusyBox’s ip (no JSON, no next hops of a multipath route) → red, re-create host1', async () => {
  process.env.BUSYBOX_IP = '1'
  try {
    const c = await routeCheck(ONE_HOP)
    assert.equal(c.status, 'fail')
    assert.match(c.detail, /BusyBox’s ip/)
    assert.equal(c.fix, 'npm run cluster:kind (re-creates host1 with iproute2)')
  } finally {
    delete process.env.BUSYBOX_IP
  }
})

test('host1 route: no Ready productpage pod → red, before host1 is asked', async () => {
  const pod = (fake.objects() as KubeObject[]).find((o) => o.kind === 'Pod' && o.metadata.name.startsWith('productpage-'))!
  fake.upsert({ ...pod, status: { ...(pod.status as object), conditions: [{ type: 'Ready', status: 'False' }] } })
  try {
    const c = await routeCheck(ONE_HOP)
    assert.equal(c.status, 'fail')
    assert.match(c.detail, /no Ready pod of app=productpage in dev1/)
    assert.match(c.fix, /kubectl get pods -n dev1 -l app=productpage -o wide/)
  } finally {
    fake.upsert({ ...pod, status: { ...(pod.status as object), conditions: [{ type: 'Ready', status: 'True' }] } })
  }
})

// ---- through demo:check's own entry and the slide's step -------------------------------------------------------

test('runPreflight lists the BGP checks after the others, and formatChecklist prints each red one with its fix', async () => {
  clearStatuses()
  const stop = calicoNode(fake, (node) => statusOf(node, (peers) => (node === 'node2' ? peers.map((p) => (p.type === 'GlobalPeer' ? { ...p, state: 'Idle' } : p)) : peers)))
  try {
    const list = await withHost1(ONE_HOP, () => runPreflight(fake.kubeConfig('kind-calico-lab'), { runHost }))
    const ids = list.map((c) => c.id)
    assert.deepEqual(ids.slice(-4), ['bgp-control', 'bgp-node1', 'bgp-node2', 'host1-route'])
    const text = formatChecklist(list)
    assert.match(text, /^✘ BGP on node2: BIRD ready, mesh and host1 Established — host1 \(198\.19\.15\.254\) Idle since 09:41:09\n {4}fix: docker exec host1 birdc/m)
    assert.match(text, /^✔ host1's route to 198\.19\.48\.10: the node running productpage, alone — /m)
  } finally {
    stop()
  }
})

async function runStep(routes: string[][]): Promise<Run> {
  const store = new RunStore()
  const runner = new Runner({ catalog: new Catalog([host1BgpRoutes], REPO_ROOT, 'kind'), store, cluster: () => ({ kubeConfig: fake.kubeConfig('kind-calico-lab'), context: 'kind-calico-lab', server: fake.url, problem: null }), repoRoot: REPO_ROOT })
  return withHost1(routes, async () => {
    const ended = new Promise<Run>((resolve) => store.subscribe((_a, e) => e.type === 'ended' && resolve(e.run)))
    assert.ok(runner.start(host1BgpRoutes.id).ok)
    return ended
  })
}
const text = (run: Run, stream = 'stdout') => run.chunks.filter((c) => c.stream === stream).map((c) => c.data).join('').replace(/\u001b\[[\d;]*m/g, '')

test('the BGP slide’s host1 step: host1’s routes live, each judged, beside the expectation for productpage’s node', async () => {
  assert.ok(defaultActions().includes(host1BgpRoutes), 'declared once, in the catalog')
  const good = await runStep(ONE_HOP)
  assert.equal(good.status, 'succeeded', text(good))
  assert.match(text(good, 'info'), /productpage-v1-bcc6748f7-dh26s is Ready on node2 \(198\.19\.0\.3\)/)
  assert.deepEqual(text(good).split('\n'), [
    "live host1's kernel routes learnt over BGP",
    'PREFIX            NEXT HOP     NODE',
    '198.19.48.10/32   198.19.0.3   node2   ✔ productpage’s node alone',
    '',
    "expected from manifests/ (the routing twin's confd view) with productpage on node2",
    'PREFIX            NEXT HOP     NODE',
    '198.19.48.10/32   198.19.0.3   node2',
    '',
  ])
  const ecmp = await runStep([['198.19.48.10/32', 'nexthop', 'via', NODES.node1, 'nexthop', 'via', NODES.node2]])
  assert.equal(ecmp.status, 'failed')
  assert.equal(ecmp.exitCode, 1)
  const lines = text(ecmp).split('\n')
  assert.deepEqual(lines.slice(1, 4), [
    'PREFIX            NEXT HOP     NODE',
    '198.19.48.10/32   198.19.0.2   node1   ✘ several next hops (ECMP)',
    '                  198.19.0.3   node2',
  ])
  assert.ok(lines.some((l) => l.startsWith('✘ fix: nodes without productpage advertise 198.19.48.10 too: kubectl apply --server-side -f manifests/20-calico-bgp.yaml')), lines.join('\n'))
  assert.equal(ecmp.error?.message, '198.19.48.10/32 leads to node1, node2, not to node2 alone')
  assert.ok(lines.every((l) => l.length <= 130), 'long fixes are folded for the slide')
})
