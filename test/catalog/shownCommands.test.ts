// The command on each slide is what runs. Two checks:
//   1. every step's shown command, for both labs, against a golden file a human has read (shown-commands.txt): a step
//      that changes what it does (another resource, `-o wide` dropped, another client) changes its line there;
//   2. each shown command read back the way kubectl (or a shell) would read it, then the step run against the fake
//      API server: the requests it made, the pod and container it ran in, the argv, the columns it printed must be the
//      ones the line names. The reading-back is this test's own (a small kubectl-line interpreter), not the code that
//      builds the line.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Catalog, defaultActions, paramNames } from '../../demo-server/src/catalog/index.ts'
import type { Action, ExecAction, Lab } from '../../demo-server/src/catalog/types.ts'
import { readManifests, REPO_ROOT } from '../../demo-server/src/manifests.ts'
import { Runner } from '../../demo-server/src/runner/index.ts'
import { shownCommand } from '../../demo-server/src/runner/shownCommand.ts'
import { RunStore } from '../../demo-server/src/runStore.ts'
import type { Run } from '../../demo-server/src/protocol.ts'
import { startFakeKube } from '../fakeKube/server.ts'
import type { FakeKube, KubeObject } from '../fakeKube/server.ts'
import { labObjects } from '../support/labObjects.ts'
import { curlService } from '../support/demoServer.ts'
import { matchSnapshot } from '../support/snapshot.ts'

const actions = defaultActions()

test('every step’s shown command, both labs, is the one in shown-commands.txt', () => {
  for (const a of actions) {
    for (const lab of ['kind', 'vms'] as const) {
      const prefix = a.kind === 'host' ? /^(docker|multipass) / : a.kind === 'preflight' ? /^npm run demo:check -- --summary$/ : /^kubectl /
      assert.match(shownCommand(a, {}, lab, paramNames(a)), prefix, `${a.id} (${lab})`)
    }
  }
  const lines = actions.flatMap((a) => {
    const kind = shownCommand(a, {}, 'kind', paramNames(a))
    const vms = shownCommand(a, {}, 'vms', paramNames(a))
    return kind === vms ? [`${a.id}\n  ${kind}`] : [`${a.id}\n  kind: ${kind}\n  vms:  ${vms}`]
  })
  matchSnapshot(join(import.meta.dirname, 'shown-commands.txt'), `${lines.join('\n')}\n`, 'the shown commands')
})

test('a parameter the deck has not chosen yet shows as <name>, and a chosen one as its value', () => {
  const curl = curlService
  assert.equal(shownCommand(curl, {}, 'kind', paramNames(curl)), 'kubectl exec -n dev1 deploy/ratings-v1 -c ratings -- curl -sS -o /dev/null --max-time 5 http://<service>:9080/')
  assert.equal(shownCommand(curl, { service: 'details' }, 'kind'), 'kubectl exec -n dev1 deploy/ratings-v1 -c ratings -- curl -sS -o /dev/null --max-time 5 http://details:9080/')
})

// ---- reading a line back ---------------------------------------------------------------------------------------

/** POSIX shell words: plain, or '…' quoted (with '\'' for a quote), as shellLine writes them. */
export function shellWords(line: string): string[] {
  const words: string[] = []
  const re = /'((?:[^']|'\\'')*)'|(\S+)/g
  for (const m of line.matchAll(re)) words.push(m[1] !== undefined ? m[1].replaceAll(`'\\''`, `'`) : m[2]!)
  return words
}

/** Where `kubectl get R` reads R (this test's own table of the kubectl names the deck uses). */
const LIST_PATH: Record<string, (ns?: string) => string[]> = {
  nodes: () => ['/api/v1/nodes'],
  pods: (ns) => [ns ? `/api/v1/namespaces/${ns}/pods` : '/api/v1/pods'],
  services: (ns) => [ns ? `/api/v1/namespaces/${ns}/services` : '/api/v1/services'],
  all: (ns) => [`/api/v1/namespaces/${ns}/pods`, `/api/v1/namespaces/${ns}/services`, `/apis/apps/v1/namespaces/${ns}/deployments`, `/apis/apps/v1/namespaces/${ns}/replicasets`],
  'ippools.projectcalico.org': () => ['/apis/projectcalico.org/v3/ippools'],
  'ipamblocks.crd.projectcalico.org': () => ['/apis/crd.projectcalico.org/v1/ipamblocks'],
  'blockaffinities.crd.projectcalico.org': () => ['/apis/crd.projectcalico.org/v1/blockaffinities'],
  tigerastatus: () => ['/apis/operator.tigera.io/v1/tigerastatuses'],
  'caliconodestatuses.projectcalico.org': () => ['/apis/projectcalico.org/v3/caliconodestatuses'],
}
/** API discovery (which groups and resources exist), not a read of any resource. */
const isDiscovery = (path: string) => /^\/api(\/v1)?$|^\/apis(\/[^/]+){0,2}$/.test(path)
const plural = (kind: string) => (kind.endsWith('y') ? `${kind.slice(0, -1)}ies` : `${kind}s`).toLowerCase()

/** Columns `-o wide` adds, per resource. */
const WIDE_COLUMNS: Record<string, string> = { nodes: 'INTERNAL-IP', pods: 'NOMINATED NODE', services: 'SELECTOR' }

interface ParsedGet { resource: string; namespace?: string; selector?: string; output?: string }
function parseGet(words: string[]): ParsedGet {
  assert.deepEqual(words.slice(0, 2), ['kubectl', 'get'])
  const out: ParsedGet = { resource: words[2]! }
  for (let i = 3; i < words.length; i++) {
    const w = words[i]!
    if (w === '-n') out.namespace = words[++i]
    else if (w === '-l') out.selector = words[++i]
    else if (w === '-o') out.output = words[++i]
    else assert.fail(`kubectl get: an argument this test does not know: ${w}`)
  }
  return out
}

interface ParsedExec { namespace: string; target: string; container?: string; argv: string[] }
function parseExec(words: string[]): ParsedExec {
  assert.deepEqual(words.slice(0, 2), ['kubectl', 'exec'])
  const dash = words.indexOf('--')
  const flags = words.slice(2, dash)
  const out: Partial<ParsedExec> = { argv: words.slice(dash + 1) }
  for (let i = 0; i < flags.length; i++) {
    if (flags[i] === '-n') out.namespace = flags[++i]
    else if (flags[i] === '-c') out.container = flags[++i]
    else out.target = flags[i]
  }
  return out as ParsedExec
}

// ---- running each step against the fake API server --------------------------------------------------------------

let fake: FakeKube
let bin: string
const savedPath = process.env.PATH

/** A calico-node DaemonSet and its pod, as the operator makes them (the exec steps on calico-node need them). */
const calicoNode: object[] = [
  { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'calico-node', namespace: 'calico-system' }, spec: { selector: { matchLabels: { 'k8s-app': 'calico-node' } }, template: { metadata: { labels: { 'k8s-app': 'calico-node' } }, spec: { containers: [{ name: 'calico-node', image: 'quay.io/calico/node:v3.31.7' }] } } } },
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'calico-node-7x2kq', namespace: 'calico-system', labels: { 'k8s-app': 'calico-node' } }, spec: { nodeName: 'node1', hostNetwork: true, containers: [{ name: 'calico-node', image: 'quay.io/calico/node:v3.31.7' }] }, status: { phase: 'Running', podIP: '198.19.0.2' } },
]

/** What the lab's tables list, so every `kubectl get` prints a table (its header is checked); the Services are in labObjects. */
const tableObjects: object[] = [
  ...readManifests(REPO_ROOT, ['manifests/21-calico-lb-ippool.yaml']).filter((o) => o.kind === 'IPPool'),
  { apiVersion: 'crd.projectcalico.org/v1', kind: 'IPAMBlock', metadata: { name: '198-19-16-0-26' }, spec: { cidr: '198.19.16.0/26', affinity: 'host:node1', allocations: [0, null] } },
  { apiVersion: 'crd.projectcalico.org/v1', kind: 'BlockAffinity', metadata: { name: 'node1-198-19-16-0-26' }, spec: { node: 'node1', cidr: '198.19.16.0/26', state: 'confirmed' } },
  { apiVersion: 'operator.tigera.io/v1', kind: 'TigeraStatus', metadata: { name: 'calico' }, status: { conditions: [{ type: 'Available', status: 'True' }] } },
  { apiVersion: 'projectcalico.org/v3', kind: 'CalicoNodeStatus', metadata: { name: 'node1' }, spec: { node: 'node1', classes: ['Agent', 'BGP'], updatePeriodSeconds: 10 }, status: { lastUpdated: '2026-11-22T00:00:00Z', agent: { birdV4: { state: 'Ready' } }, bgp: { numberEstablishedV4: 1, numberNotEstablishedV4: 0, peersV4: [{ peerIP: '198.19.15.254', type: 'GlobalPeer', state: 'Established' }] } } },
]

before(async () => {
  fake = await startFakeKube({ objects: [...labObjects(), ...calicoNode, ...tableObjects] })
  fake.onExec(() => ({ steps: [{ stdout: 'ok\n' }], exitCode: 0 }))
  // a stand-in for docker and multipass that prints the argv it was given, one word per line
  bin = mkdtempSync(join(tmpdir(), 'shown-commands-'))
  for (const program of ['docker', 'multipass']) {
    writeFileSync(join(bin, program), `#!/bin/sh\nprintf '%s\\n' "${program}" "$@" | tee "${join(bin, 'last-argv')}"\n`)
    chmodSync(join(bin, program), 0o755)
  }
  process.env.PATH = `${bin}:${savedPath}`
})
after(async () => {
  process.env.PATH = savedPath
  await fake.close()
})

async function runAction(action: Action, lab: Lab = 'kind'): Promise<{ run: Run; requests: typeof fake.requests; execs: typeof fake.execRequests }> {
  const store = new RunStore()
  // alone in its catalog: a step's `then` (the matrix it re-runs) is not this test's business
  const alone = action.kind === 'apply' || action.kind === 'delete' ? { ...action, then: undefined } : action
  const runner = new Runner({ catalog: new Catalog([alone], REPO_ROOT, lab), store, cluster: () => ({ kubeConfig: fake.kubeConfig('shown'), context: 'shown', server: fake.url, problem: null }), repoRoot: REPO_ROOT })
  const requestsBefore = fake.requests.length
  const execsBefore = fake.execRequests.length
  const ended = new Promise<Run>((resolve) => store.subscribe((_a, e) => e.type === 'ended' && resolve(e.run)))
  const started = runner.start(action.id)
  assert.ok(started.ok)
  if (action.kind === 'rollout') {
    // the controller's part: the restart was seen, the rollout is done
    const until = Date.now() + 5000
    while (!fake.requests.slice(requestsBefore).some((r) => r.method === 'PATCH') && Date.now() < until) await new Promise((r) => setTimeout(r, 10))
    const d = fake.objects().find((o) => (o as KubeObject).kind === 'Deployment' && (o as KubeObject).metadata.name === action.deployment) as KubeObject
    fake.upsert({ ...d, status: { observedGeneration: d.metadata.generation, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 } })
  }
  const run = await ended
  return { run, requests: fake.requests.slice(requestsBefore), execs: fake.execRequests.slice(execsBefore) }
}
const stdout = (run: Run) => run.chunks.filter((c) => c.stream === 'stdout').map((c) => c.data).join('')

test('kubectl get: the step reads the resource, namespace and selector its line names, and prints the columns it asks for', async () => {
  for (const action of actions.filter((a) => a.kind === 'table')) {
    const line = shownCommand(action, {}, 'kind')
    const get = parseGet(shellWords(line))
    const { run, requests } = await runAction(action)
    assert.equal(run.status, 'succeeded', `${action.id}: ${run.error?.message}`)
    const listed = requests.filter((r) => r.method === 'GET' && !isDiscovery(r.path)).map((r) => r.path).sort()
    const paths = LIST_PATH[get.resource]
    assert.ok(paths, `${action.id}: this test knows where kubectl reads ${get.resource}`)
    assert.deepEqual(listed, paths(get.namespace).sort(), `${action.id}: "${line}" reads what it names`)
    for (const r of requests.filter((x) => x.method === 'GET' && listed.includes(x.path))) assert.equal(r.query.labelSelector, get.selector, `${action.id}: label selector`)
    const header = stdout(run).split('\n')[0] ?? ''
    assert.doesNotMatch(header, /^No /, `${action.id}: the fake holds something to list`)
    if (get.output?.startsWith('custom-columns=')) {
      assert.deepEqual(header.split(/\s{2,}/), get.output.slice('custom-columns='.length).split(',').map((c) => c.split(':')[0]), `${action.id}: custom columns`)
    } else if (WIDE_COLUMNS[get.resource]) {
      assert.equal(header.includes(WIDE_COLUMNS[get.resource]!), get.output === 'wide', `${action.id}: "${line}" ${get.output === 'wide' ? 'prints' : 'does not print'} the wide columns`)
    }
  }
})

test('kubectl exec: the step runs the line’s argv in the pod and container kubectl would pick', async () => {
  const objects = () => fake.objects() as KubeObject[]
  for (const action of actions.filter((a): a is ExecAction => a.kind === 'exec')) {
    const line = shownCommand(action, {}, 'kind')
    const exec = parseExec(shellWords(line))
    const { run, execs } = await runAction(action)
    assert.equal(run.status, 'succeeded', `${action.id}: ${run.error?.message}`)
    assert.equal(execs.length, 1, `${action.id}: one exec`)
    const req = execs[0]!
    assert.equal(req.namespace, exec.namespace, `${action.id}: namespace`)
    assert.deepEqual(req.command, exec.argv, `${action.id}: "${line}" runs that argv`)
    const [kind, name] = exec.target.includes('/') ? exec.target.split('/') : ['pod', exec.target]
    const pod = objects().find((o) => o.kind === 'Pod' && o.metadata.namespace === exec.namespace && o.metadata.name === req.pod)!
    if (kind === 'pod') assert.equal(req.pod, name, `${action.id}: the pod the line names`)
    else {
      const owner = objects().find((o) => o.kind === (kind === 'deploy' ? 'Deployment' : 'DaemonSet') && o.metadata.namespace === exec.namespace && o.metadata.name === name)!
      const matchLabels = (owner.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels
      assert.ok(Object.entries(matchLabels).every(([k, v]) => pod.metadata.labels?.[k] === v), `${action.id}: ${req.pod} belongs to ${exec.target}`)
    }
    const containers = (pod.spec as { containers: Array<{ name: string }> }).containers.map((c) => c.name)
    assert.equal(req.container, exec.container ?? (containers.length === 1 ? containers[0] : undefined), `${action.id}: container`)
  }
})

test('kubectl apply / delete: the step sends the file’s objects, server-side applied or deleted, and nothing else', async () => {
  for (const action of actions.filter((a) => a.kind === 'apply' || a.kind === 'delete')) {
    const words = shellWords(shownCommand(action, {}, 'kind'))
    const files = words.flatMap((w, i) => (words[i - 1] === '-f' ? [w] : []))
    const objects = readManifests(REPO_ROOT, files)
    const { run, requests } = await runAction(action)
    assert.equal(run.status, 'succeeded', `${action.id}: ${run.error?.message}`)
    const writes = requests.filter((r) => r.method !== 'GET')
    const path = (o: (typeof objects)[number]) => `/apis/${o.apiVersion}${o.metadata.namespace ? `/namespaces/${o.metadata.namespace}` : ''}/${plural(o.kind)}/${o.metadata.name}`
    if (words[1] === 'apply') {
      assert.ok(words.includes('--server-side'))
      assert.deepEqual(writes.map((r) => `${r.method} ${r.path} ${r.contentType} ${r.query.fieldManager}`), objects.map((o) => `PATCH ${path(o)} application/apply-patch+yaml calico-live-talk`), action.id)
    } else {
      assert.ok(words.includes('--ignore-not-found'))
      assert.deepEqual(writes.map((r) => `${r.method} ${r.path}`), [...objects].reverse().map((o) => `DELETE ${path(o)}`), action.id)
    }
  }
})

test('kubectl rollout restart: the step patches the Deployment the line names and watches that namespace’s events', async () => {
  for (const action of actions.filter((a) => a.kind === 'rollout')) {
    const words = shellWords(shownCommand(action, {}, 'kind'))
    const [, name] = words[3]!.split('/')
    const ns = words[words.indexOf('-n') + 1]
    const { run, requests } = await runAction(action)
    assert.equal(run.status, 'succeeded', `${action.id}: ${run.error?.message}`)
    assert.ok(requests.some((r) => r.method === 'PATCH' && r.path === `/apis/apps/v1/namespaces/${ns}/deployments/${name}`), `${action.id}: restarts ${name}`)
    assert.ok(requests.some((r) => r.method === 'GET' && r.path === `/api/v1/namespaces/${ns}/events` && r.query.watch === 'true'), `${action.id}: watches the events of ${ns}`)
  }
})

test('host1’s BGP routes: the step reads the pods and the nodes its line names, then runs the line’s host argv, for both labs', async () => {
  for (const action of actions.filter((a) => a.kind === 'bgp-routes')) {
    for (const lab of ['kind', 'vms'] as const) {
      const [pods, nodes, host] = shownCommand(action, {}, lab).split(' && ').map(shellWords)
      const getPods = parseGet(pods!)
      assert.equal(getPods.output, 'wide')
      assert.deepEqual(parseGet(nodes!), { resource: 'nodes', output: 'wide' })
      const { run, requests } = await runAction(action, lab)
      const reads = requests.filter((r) => r.method === 'GET' && !isDiscovery(r.path))
      assert.deepEqual(reads.map((r) => r.path).sort(), [...LIST_PATH.nodes!(), ...LIST_PATH.pods!(getPods.namespace)].sort(), `${action.id}: reads what its line names, nothing else`)
      assert.equal(reads.find((r) => r.path.endsWith('/pods'))?.query.labelSelector, getPods.selector, `${action.id}: label selector`)
      assert.deepEqual(requests.filter((r) => r.method !== 'GET'), [], `${action.id}: changes nothing`)
      // the stand-in printed its argv instead of a route list: the step says host1 could not be read
      assert.equal(run.status, 'failed')
      assert.match(stdout(run), /host1's `ip -j` printed no route list/)
      assert.deepEqual(readFileSync(join(bin, 'last-argv'), 'utf8').split('\n').slice(0, -1), host, `${action.id} (${lab}): the host program receives the line's words`)
    }
  }
})

test('host steps: the program receives exactly the words of the line, for both labs', async () => {
  for (const action of actions.filter((a) => a.kind === 'host')) {
    for (const lab of ['kind', 'vms'] as const) {
      const { run } = await runAction(action, lab)
      assert.equal(run.status, 'succeeded', `${action.id}: ${run.error?.message}`)
      assert.deepEqual(stdout(run).split('\n').slice(0, -1), shellWords(shownCommand(action, {}, lab)), `${action.id} (${lab})`)
    }
  }
})
