// The preflight (demo-server/src/preflight.ts) and its CLI (scripts/demo-check.ts), offline:
// evaluate() on hand-made snapshots, collectSnapshot() against a tiny loopback HTTP server speaking the few
// Kubernetes REST paths it reads, and the CLI with no kubeconfig / an unreachable API server.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as k8s from '@kubernetes/client-node'
import { collectSnapshot, evaluate, HOST_CHECKS, runPreflight, stepPolicyNames } from '../../demo-server/src/preflight.ts'
import type { ClusterSnapshot, Fetched, TigeraStatus } from '../../demo-server/src/preflight.ts'
import { LAB } from '../../demo-server/src/catalog/lab.ts'
import { POLICY_STEPS } from '../../demo-server/src/catalog/policySteps.ts'
import { HOST_PROGRAMS } from '../../demo-server/src/host/programs.ts'
import { loadDocs, ROOT } from './lib/manifests.ts'

const ok = <T>(value: T): Fetched<T> => ({ ok: true, value })
const missing = <T>(): Fetched<T> => ({ ok: false, error: 'HTTP 404: not found', notFound: true })

const node = (name: string, ready = true, cp = false): k8s.V1Node => ({
  metadata: { name, labels: cp ? { 'node-role.kubernetes.io/control-plane': '' } : {} },
  status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
})
const status = (name: string, available = true): TigeraStatus => ({
  metadata: { name },
  status: { conditions: [{ type: 'Available', status: available ? 'True' : 'False' }] },
})
const deployment = (name: string, ready = 1): k8s.V1Deployment => ({ metadata: { name }, spec: { replicas: 1 } as k8s.V1DeploymentSpec, status: { readyReplicas: ready } })
const runningPod = (ns: string): k8s.V1Pod => ({
  metadata: { name: 'alpine', namespace: ns },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
})

function healthy(): ClusterSnapshot {
  return {
    context: 'kind-calico-lab',
    server: 'https://127.0.0.1:6443',
    version: ok('v1.34.0'),
    nodes: ok([node('calico-lab-control-plane', true, true), node('calico-lab-worker'), node('calico-lab-worker2')]),
    tigerastatuses: ok([status('apiserver'), status('calico'), status('ippools'), status('goldmane'), status('whisker')]),
    deployments: ok(LAB.deployments.map((d) => deployment(d))),
    alpineDev1: ok(runningPod('dev1')),
    alpineDefault: ok(runningPod('default')),
    lbService: ok({
      metadata: { name: 'productpage-lb' },
      spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local' },
      status: { loadBalancer: { ingress: [{ ip: LAB.lbIp }] } },
    }),
    policies: ok([]),
  }
}

const find = (checks: ReturnType<typeof evaluate>, id: string) => checks.find((c) => c.id === id)!

test('preflight: a healthy lab passes every check, in checklist order', () => {
  const checks = evaluate(healthy())
  assert.deepEqual(checks.map((c) => c.id), ['context', 'api', 'nodes', 'calico', 'bookinfo', 'alpine', 'exposure', 'baseline'])
  for (const c of checks) {
    assert.equal(c.status, 'pass', `${c.id}: ${c.detail}`)
    assert.equal(c.ok, true)
    assert.equal(c.fix, '')
  }
  assert.match(find(checks, 'context').detail, /kind rehearsal/)
})

test('preflight: each broken part fails its own check, with a fix', () => {
  const cases: [string, (s: ClusterSnapshot) => void, RegExp][] = [
    ['nodes', (s) => { s.nodes = ok([node('cp', true, true), node('w1'), node('w2', false)]) }, /w2 \(NotReady\)/],
    ['nodes', (s) => { s.nodes = ok([node('cp', true, true), node('w1')]) }, /2\/2 Ready/],
    ['calico', (s) => { s.tigerastatuses = ok([status('calico', false), status('apiserver')]) }, /not Available: calico/],
    ['calico', (s) => { s.tigerastatuses = ok([status('calico')]) }, /missing: apiserver/],
    ['calico', (s) => { s.tigerastatuses = ok([status('calico'), status('apiserver'), status('ippools', false), status('goldmane', false)]) }, /not Available: ippools/],
    ['bookinfo', (s) => { s.deployments = ok(LAB.deployments.filter((d) => d !== 'reviews-v3').map((d) => deployment(d))) }, /reviews-v3 missing/],
    ['bookinfo', (s) => { s.deployments = ok(LAB.deployments.map((d) => deployment(d, d === 'ratings-v1' ? 0 : 1))) }, /ratings-v1 0\/1/],
    ['alpine', (s) => { s.alpineDefault = missing() }, /default\/alpine missing/],
    ['alpine', (s) => { s.alpineDev1 = ok({ ...runningPod('dev1'), status: { phase: 'Pending' } }) }, /dev1\/alpine Pending/],
    ['exposure', (s) => { s.lbService = ok({ spec: { externalTrafficPolicy: 'Local' }, status: { loadBalancer: {} } }) }, /pending/],
    ['exposure', (s) => { s.lbService = ok({ spec: { externalTrafficPolicy: 'Cluster' }, status: { loadBalancer: { ingress: [{ ip: LAB.lbIp }] } } }) }, /Cluster/],
    ['exposure', (s) => { s.lbService = missing() }, /missing/],
    ['baseline', (s) => { s.policies = ok(['platform-baseline.dev1-default-deny', 'knp.default.other']) }, /already applied: platform-baseline\.dev1-default-deny$/],
    ['baseline', (s) => { s.policies = ok(['default.ratings-from-reviews']) }, /default\.ratings-from-reviews/],
    ['baseline', (s) => { s.policies = ok(['staged:platform-baseline.dev1-default-deny']) }, /already applied: staged:platform-baseline\.dev1-default-deny/],
  ]
  for (const [id, breakIt, detail] of cases) {
    const s = healthy()
    breakIt(s)
    const checks = evaluate(s)
    const c = find(checks, id)
    assert.equal(c.status, 'fail', `${id}: ${c.detail}`)
    assert.equal(c.ok, false)
    assert.match(c.detail, detail)
    assert.ok(c.fix.length > 0, `${id} says how to fix it`)
    assert.deepEqual(checks.filter((x) => x.status === 'fail').map((x) => x.id), [id], 'only that check fails')
  }
  assert.equal(find(evaluate({ ...healthy(), policies: ok(['platform-baseline.dev1-default-deny']) }), 'baseline').fix, 'npm run demo:reset')
})

test('preflight: no context, or an unreachable API server, is said once; the rest is skipped', () => {
  const none = evaluate({ ...healthy(), context: null })
  assert.equal(find(none, 'context').status, 'fail')
  assert.match(find(none, 'context').fix, /cluster:kind/)
  assert.ok(none.filter((c) => c.id !== 'context').every((c) => c.status === 'skip' && c.ok))

  const down = evaluate({ ...healthy(), version: { ok: false, error: 'connect ECONNREFUSED', notFound: false } })
  assert.equal(find(down, 'api').status, 'fail')
  assert.match(find(down, 'api').fix, /docker ps/)
  assert.deepEqual(down.filter((c) => c.status === 'fail').map((c) => c.id), ['api'])
  assert.ok(down.filter((c) => !['context', 'api'].includes(c.id)).every((c) => c.status === 'skip' && /API server unreachable/.test(c.detail)))
})

test('preflight: the step policy names are exactly the policies of the step files', () => {
  const names = stepPolicyNames()
  assert.equal(new Set(names).size, names.length)
  assert.deepEqual(names, [...new Set(POLICY_STEPS.flatMap((s) => loadDocs(s.file).map((d) => d.obj.metadata.name)))], 'a staged twin shares its policy’s name')
  assert.ok(names.includes('reviews-to-ratings'), 'a step file with two policies gives both')
})

/** A loopback HTTP server answering the REST paths collectSnapshot reads. */
async function fakeApi(routes: Record<string, unknown>): Promise<{ url: string; seen: string[]; close: () => Promise<void> }> {
  const seen: string[] = []
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]!
    seen.push(path)
    const body = routes[path]
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body ?? { kind: 'Status', code: 404, message: `${path} not found` }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise((r) => server.close(() => r())) }
}

function kubeConfigFor(server: string, context = 'kind-calico-lab'): k8s.KubeConfig {
  const kc = new k8s.KubeConfig()
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: context, cluster: 'c', user: 'u' }],
    currentContext: context,
  })
  return kc
}

test('preflight: collectSnapshot reads the right REST paths (loopback fake API)', async () => {
  const h = healthy()
  const api = await fakeApi({
    '/version': { gitVersion: 'v1.34.0', major: '1', minor: '34' },
    '/api/v1/nodes': { kind: 'NodeList', apiVersion: 'v1', items: (h.nodes as { value: unknown[] }).value },
    '/apis/operator.tigera.io/v1/tigerastatuses': { items: (h.tigerastatuses as { value: unknown[] }).value },
    '/apis/apps/v1/namespaces/dev1/deployments': { kind: 'DeploymentList', apiVersion: 'apps/v1', items: (h.deployments as { value: unknown[] }).value },
    '/api/v1/namespaces/dev1/pods/alpine': { kind: 'Pod', apiVersion: 'v1', ...runningPod('dev1') },
    '/api/v1/namespaces/default/pods/alpine': { kind: 'Pod', apiVersion: 'v1', ...runningPod('default') },
    '/api/v1/namespaces/dev1/services/productpage-lb': { kind: 'Service', apiVersion: 'v1', ...(h.lbService as { value: object }).value },
    '/apis/projectcalico.org/v3/namespaces/dev1/networkpolicies': { items: [{ metadata: { name: 'details-from-productpage' } }] },
    '/apis/projectcalico.org/v3/namespaces/dev1/stagednetworkpolicies': { items: [] },
    '/apis/projectcalico.org/v3/globalnetworkpolicies': { items: [{ metadata: { name: 'platform-baseline.dev1-default-deny' } }] },
    '/apis/projectcalico.org/v3/stagedglobalnetworkpolicies': { items: [] },
    // the flow-log path: Service calico-system/whisker and a Ready pod behind it (reader.ts locate)
    '/api/v1/namespaces/calico-system/services/whisker': { kind: 'Service', apiVersion: 'v1', metadata: { name: 'whisker', namespace: 'calico-system' }, spec: { selector: { 'k8s-app': 'whisker' }, ports: [{ port: 8081, targetPort: 8081 }] } },
    '/api/v1/namespaces/calico-system/pods': { kind: 'PodList', apiVersion: 'v1', items: [{ metadata: { name: 'whisker-6b7c9d8f55-q2x7m', namespace: 'calico-system' }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }] },
  })
  try {
    const checks = await runPreflight(kubeConfigFor(api.url), {
      runHost: async (argv) => {
        assert.ok((HOST_PROGRAMS as readonly string[]).includes(argv[0]!), 'only allow-listed programs')
        return argv[2] === 'host1'
          ? { exitCode: 0, stdout: `    inet ${LAB.host1Ip}/20 brd 198.19.15.255 scope global eth0\n`, stderr: '' }
          : { exitCode: 0, stdout: `198.19.48.0/24 via ${LAB.host1Ip} dev eth0\n`, stderr: '' }
      },
    })
    // the BGP checks (CalicoNodeStatus, host1's route) read paths this tiny server does not serve: test/bgp/ covers them;
    // the debug-image check adds containers to pods, which this read-only stand-in cannot: it has its own test
    // against the fake API server (test/integration/matrix-preflight.test.ts)
    const failed = checks.filter((c) => c.status !== 'pass' && !c.id.startsWith('bgp') && c.id !== 'host1-route' && c.id !== 'debug-image').map((c) => `${c.id}: ${c.detail}`)
    assert.deepEqual(failed, ['baseline: already applied: details-from-productpage, platform-baseline.dev1-default-deny'])
    // the cluster's state first (Calico's flow-log components right after the pure checks), then the outside clients,
    // then what writes and waits: the debug containers warmed, BGP's CalicoNodeStatus and host1's route
    assert.deepEqual(checks.map((c) => c.id), ['context', 'api', 'nodes', 'calico', 'bookinfo', 'alpine', 'exposure', 'baseline', 'goldmane', 'whisker', 'outside', 'debug-image', 'bgp', 'host1-route'])
    assert.match(checks.find((c) => c.id === 'whisker')?.detail ?? '', /pod whisker-6b7c9d8f55-q2x7m Ready on 8081; by hand: kubectl port-forward -n calico-system service\/whisker 8081:8081/)
    for (const path of ['/version', '/api/v1/nodes', '/apis/projectcalico.org/v3/namespaces/dev1/networkpolicies', '/apis/projectcalico.org/v3/namespaces/dev1/stagednetworkpolicies', '/api/v1/namespaces/calico-system/services/whisker']) {
      assert.ok(api.seen.includes(path), `read ${path}`)
    }
  } finally {
    await api.close()
  }
})

test('preflight: Goldmane and Whisker, each with its fix — from TigeraStatus, then the reader finding a Ready whisker pod', async () => {
  const routes = (statuses: TigeraStatus[], extra: Record<string, unknown> = {}) => ({
    '/version': { gitVersion: 'v1.35.0' },
    '/apis/operator.tigera.io/v1/tigerastatuses': { items: statuses },
    ...extra,
  })
  const run = async (r: Record<string, unknown>) => {
    const api = await fakeApi(r)
    try {
      const checks = await runPreflight(kubeConfigFor(api.url))
      return { goldmane: checks.find((c) => c.id === 'goldmane')!, whisker: checks.find((c) => c.id === 'whisker')!, calico: checks.find((c) => c.id === 'calico')!, seen: api.seen }
    } finally {
      await api.close()
    }
  }
  const base = [status('apiserver'), status('calico')]
  const none = await run(routes(base))
  assert.equal(none.goldmane.status, 'fail')
  assert.match(none.goldmane.detail, /no TigeraStatus goldmane/)
  assert.match(none.goldmane.fix, /manifests\/10-calico-installation\.yaml \(its Goldmane resource\)/)
  assert.equal(none.whisker.status, 'fail')
  assert.match(none.whisker.fix, /Whisker needs Goldmane/)
  assert.ok(!none.seen.includes('/api/v1/namespaces/calico-system/services/whisker'), 'no pod to look for without Whisker')

  const degraded = await run(routes([...base, { metadata: { name: 'goldmane' }, status: { conditions: [{ type: 'Available', status: 'False' }, { type: 'Degraded', status: 'True', reason: 'ResourceNotReady', message: 'Waiting for Goldmane deployment' }] } }, status('whisker')]))
  assert.equal(degraded.goldmane.status, 'fail')
  assert.match(degraded.goldmane.detail, /not Available — Degraded \(ResourceNotReady\): Waiting for Goldmane deployment/)
  assert.match(degraded.goldmane.fix, /kubectl describe tigerastatus goldmane/)
  assert.equal(degraded.calico.status, 'pass', 'the flow-log components are not the Calico check’s: one failure, one check')

  const noService = await run(routes([...base, status('goldmane'), status('whisker')]))
  assert.equal(noService.goldmane.status, 'pass')
  assert.equal(noService.whisker.status, 'fail')
  assert.match(noService.whisker.detail, /no Service calico-system\/whisker/)

  const notReady = await run(routes([...base, status('goldmane'), status('whisker')], {
    '/api/v1/namespaces/calico-system/services/whisker': { kind: 'Service', apiVersion: 'v1', metadata: { name: 'whisker' }, spec: { selector: { 'k8s-app': 'whisker' }, ports: [{ port: 8081, targetPort: 8081 }] } },
    '/api/v1/namespaces/calico-system/pods': { kind: 'PodList', apiVersion: 'v1', items: [{ metadata: { name: 'whisker-1' }, status: { phase: 'Pending' } }] },
  }))
  assert.equal(notReady.whisker.status, 'fail')
  assert.match(notReady.whisker.detail, /no Ready pod behind Service calico-system\/whisker \(k8s-app=whisker\); pods: whisker-1 \(Pending\)/)
  assert.match(notReady.whisker.fix, /kubectl get pods -n calico-system -l k8s-app=whisker/)
})

test('preflight: outside clients are skipped without runHost, failed when a host check fails', async () => {
  const api = await fakeApi({ '/version': { gitVersion: 'v1.34.0' } })
  try {
    const kc = kubeConfigFor(api.url)
    const skipped = (await runPreflight(kc)).find((c) => c.id === 'outside')!
    assert.equal(skipped.status, 'skip')
    assert.match(skipped.detail, /presenter’s machine/)
    const calls: string[][] = []
    const failed = (await runPreflight(kc, {
      runHost: async (argv) => {
        calls.push([...argv])
        return { exitCode: 1, stdout: '', stderr: 'Error: No such container: host2' }
      },
    })).find((c) => c.id === 'outside')!
    assert.equal(failed.status, 'fail')
    assert.match(failed.detail, /No such container/)
    assert.match(failed.fix, /cluster:kind/)
    assert.deepEqual(calls, HOST_CHECKS.kind.map((c) => [...c.argv]))
  } finally {
    await api.close()
  }
})

test('preflight: an unreachable API server is reported within the timeout', async () => {
  const started = Date.now()
  const s = await collectSnapshot(kubeConfigFor('https://127.0.0.1:1'), 2_000)
  assert.ok(Date.now() - started < 3_000)
  assert.equal(s.version.ok, false)
  assert.equal(find(evaluate(s), 'api').status, 'fail')
})

function runCli(env: Record<string, string>): { stdout: string; stderr: string; status: number | null } {
  const dir = mkdtempSync(join(tmpdir(), 'demo-check-'))
  try {
    for (const tool of HOST_PROGRAMS) {
      writeFileSync(join(dir, tool), '#!/bin/sh\necho "stub: not available in tests" >&2\nexit 1\n')
      chmodSync(join(dir, tool), 0o755)
    }
    const r = spawnSync(process.execPath, ['scripts/demo-check.ts'], {
      cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: { PATH: `${dir}:${process.env.PATH}`, HOME: dir, ...env },
    })
    return { stdout: r.stdout, stderr: r.stderr, status: r.status }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

test('demo:check CLI: no kubeconfig is a clear message and a non-zero exit', () => {
  const r = runCli({})
  assert.equal(r.status, 1)
  assert.match(r.stderr, /no kubeconfig found/)
  assert.match(r.stderr, /npm run cluster:kind/)
})

test('demo:check CLI: an unreachable API server prints the checklist with ✘ and the fix, exit 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'demo-check-kc-'))
  try {
    const file = join(dir, 'config')
    writeFileSync(file, [
      'apiVersion: v1', 'kind: Config', 'current-context: kind-calico-lab',
      'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
      'users: [{name: u, user: {token: t}}]',
      'contexts: [{name: kind-calico-lab, context: {cluster: c, user: u}}]', '',
    ].join('\n'))
    const r = runCli({ KUBECONFIG: file })
    assert.equal(r.status, 1, r.stderr)
    assert.match(r.stdout, /^✔ kube context — kind-calico-lab/m)
    assert.match(r.stdout, /^✘ API server reachable — https:\/\/127\.0\.0\.1:1/m)
    assert.match(r.stdout, /^ {4}fix: is Docker running\?/m)
    assert.match(r.stdout, /^– 3 nodes Ready .* skipped: API server unreachable/m)
    assert.match(r.stdout, /^✘ outside clients reachable .*stub: not available in tests/m)
    assert.match(r.stdout, /check\(s\) failed/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
