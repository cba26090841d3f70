// The demo catalog (demo-server/src/catalog/demo.ts): every step refers to manifests and namespaces that exist,
// runs where the lab has it, in the assessment's order; outside probes are fixed, allow-listed argv.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { actionId } from '../../demo-server/src/protocol.ts'
import { foundationActions } from '../../demo-server/src/catalog/foundation.ts'
import { Catalog, defaultActions } from '../../demo-server/src/catalog/index.ts'
import { kubectlLine } from '../../demo-server/src/catalog/types.ts'
import type { Action } from '../../demo-server/src/catalog/types.ts'
import {
  demoActions, demoSequence, HOST_PROGRAMS, hostActions, hostCommandLine, LAB, labFor, POLICY_STEPS, policiesReset,
} from '../../demo-server/src/catalog/demo.ts'
import type { HostAction } from '../../demo-server/src/catalog/demo.ts'
import { allDocs, knownNamespaces, loadDocs, podModels, ROOT } from './lib/manifests.ts'

const docs = allDocs()
const namespaces = knownNamespaces(docs)
const pods = podModels(docs)
/** Pods the operator creates in calico-system (labels as rendered by the Tigera operator). */
const OPERATOR_PODS = [{ namespace: 'calico-system', labels: { 'k8s-app': 'calico-node' }, containers: ['calico-node'] }]
const allIds = [...demoActions.map((a) => a.id), ...hostActions.map((a) => a.id)]
const byId = new Map<string, Action | HostAction>([...demoActions, ...hostActions].map((a) => [a.id, a]))

function selectorMatches(selector: string, labels: Record<string, string>): boolean {
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=')
    return labels[k!.trim()] === v?.trim()
  })
}

test('catalog: ids are unique, valid, and do not collide with the foundation samples', () => {
  assert.equal(new Set(allIds).size, allIds.length, 'unique ids')
  for (const id of allIds) assert.ok(actionId.safeParse(id).success, id)
  for (const f of foundationActions) assert.ok(!allIds.includes(f.id), `${f.id} is the foundation's`)
})

test('catalog: the demo server accepts the demo steps (its own start-up validation)', () => {
  assert.doesNotThrow(() => new Catalog(defaultActions(), ROOT))
})

test('catalog: every namespace an action names exists in the lab', () => {
  for (const a of [...demoActions, ...hostActions]) {
    for (const ns of a.namespaces) assert.ok(namespaces.includes(ns), `${a.id}: namespace ${ns}`)
    if (a.kind === 'exec') assert.ok(a.namespaces.includes(a.namespace), `${a.id} may touch the namespace it execs in`)
    if (a.kind === 'table' && a.namespace) assert.ok(a.namespaces.includes(a.namespace), `${a.id} may read ${a.namespace}`)
  }
})

test('catalog: apply/delete steps name manifests that exist, and stay inside their namespaces', () => {
  for (const a of demoActions) {
    if (a.kind !== 'apply' && a.kind !== 'delete') continue
    assert.ok(a.manifests.length > 0, a.id)
    for (const file of a.manifests) {
      assert.ok(existsSync(ROOT + file), `${a.id}: ${file} exists`)
      for (const { obj } of loadDocs(file)) {
        assert.ok(obj.metadata.namespace, `${a.id}: ${file} holds only namespaced objects`)
        assert.ok(a.namespaces.includes(obj.metadata.namespace), `${a.id}: ${obj.kind}/${obj.metadata.name} in ${obj.metadata.namespace}`)
      }
      assert.ok(kubectlLine(a).includes(`-f ${file}`), `${a.id}: the kubectl line names ${file}`)
    }
  }
  const applies = demoActions.filter((a) => a.kind === 'apply')
  assert.deepEqual(applies.map((a) => a.kind === 'apply' && a.manifests[0]), POLICY_STEPS.map((s) => s.file), 'one apply per policy step')
  assert.deepEqual(policiesReset.manifests, [...POLICY_STEPS.map((s) => s.file)].reverse(), 'reset removes every step, last first')
})

test('catalog: exec steps target pods the lab runs, by label, with their container names', () => {
  for (const a of demoActions) {
    if (a.kind !== 'exec') continue
    const candidates = [...pods, ...OPERATOR_PODS].filter((p) => p.namespace === a.namespace && selectorMatches(a.selector, p.labels))
    assert.ok(candidates.length > 0, `${a.id}: ${a.selector} in ${a.namespace} matches a pod`)
    if (a.container) assert.ok(candidates.every((p) => p.containers.includes(a.container!)), `${a.id}: container ${a.container}`)
    const command = typeof a.command === 'function' ? a.command({}) : a.command
    const line = kubectlLine(a)
    assert.ok(line.startsWith(`kubectl exec -n ${a.namespace} `), `${a.id}: ${line}`)
    assert.ok(line.includes(command.at(-1)!), `${a.id}: the kubectl line shows the command that runs`)
  }
})

test('catalog: table steps read resources in the namespaces they name', () => {
  for (const a of demoActions) {
    if (a.kind !== 'table') continue
    const line = kubectlLine(a)
    assert.ok(line.startsWith('kubectl get '), `${a.id}: ${line}`)
    if (a.namespace) assert.ok(line.includes(`-n ${a.namespace}`), `${a.id}: ${line}`)
    else assert.ok(!line.includes(' -n '), `${a.id}: cluster-scoped`)
  }
})

test('catalog: host steps are fixed argv of allowed programs, for both labs, aimed at the lab’s addresses', () => {
  const lbIp = JSON.parse(
    docs.find((d) => d.obj.kind === 'Service' && d.obj.metadata.name === LAB.lbService)!.obj.metadata.annotations['projectcalico.org/loadBalancerIPs'],
  )[0]
  for (const a of hostActions) {
    assert.equal(a.kind, 'host')
    assert.deepEqual(a.namespaces, [])
    for (const lab of ['kind', 'vms'] as const) {
      const argv = a.argv[lab]
      assert.ok((HOST_PROGRAMS as readonly string[]).includes(argv[0]), `${a.id}/${lab}: ${argv[0]}`)
      if (argv[0] === 'docker') {
        assert.equal(argv[1], 'exec')
        assert.ok(['host1', 'host2'].includes(argv[2]!), `${a.id}: docker exec into an outside client`)
      } else {
        assert.deepEqual(argv.slice(1, 4), ['exec', 'host1', '--'], `${a.id}: multipass exec host1 --`)
      }
      for (const arg of argv) assert.ok(!arg.includes('\n') && arg.length < 400, `${a.id}: plain arguments`)
      if (a.id.startsWith('probe-')) assert.ok(argv.some((x) => x.includes(`http://${lbIp}/productpage`)), `${a.id} targets ${lbIp}`)
      assert.ok(hostCommandLine(a, lab).startsWith(argv[0]!), `${a.id}: command line`)
    }
  }
  const other = hostActions.find((a) => a.id === 'probe-other-range-productpage')!
  assert.equal(other.argv.kind[2], 'host2', 'kind: the other-range client is host2')
  assert.deepEqual(other.argv.vms.slice(-3, -1), ['--interface', LAB.otherIp], 'VMs: host1 from its other-range address')
  assert.equal(hostCommandLine(other, 'kind'), "docker exec host2 curl -sS -o /dev/null --max-time 5 -w 'HTTP %{http_code} from %{local_ip}\\n' http://198.19.48.10/productpage")
})

test('catalog: demoSequence follows the assessment’s order', () => {
  assert.equal(new Set(demoSequence).size, demoSequence.length, 'no step twice')
  for (const id of demoSequence) assert.ok(byId.has(id), `${id} exists`)
  const at = (id: string) => demoSequence.indexOf(id)
  const order = [
    'dev1-get-all',
    'probe-ratings-productpage',
    'probe-alpine-dev1-productpage',
    'probe-alpine-default-productpage',
    'probe-host1-productpage',
    'probe-other-range-productpage',
    ...POLICY_STEPS.map((s) => `policy-${s.id}-apply`),
    'probe-ratings-productpage-after',
    'probe-alpine-dev1-productpage-after',
    'probe-alpine-default-productpage-after',
    'probe-host1-productpage-after',
    'probe-other-range-productpage-after',
    'node-routes',
    'pod-network',
    'ipam-blocks',
    'calico-system-pods',
    'tigerastatus',
  ]
  for (let i = 1; i < order.length; i++) assert.ok(at(order[i - 1]!) < at(order[i]!), `${order[i - 1]} before ${order[i]}`)
  // every probe of the baseline is repeated after the policies
  for (const id of demoSequence.filter((x) => x.startsWith('probe-') && !x.endsWith('-after'))) {
    assert.ok(demoSequence.includes(`${id}-after`), `${id} is probed again after the policies`)
  }
  // removal actions exist for the PolicyStep component and demo:reset, outside the sequence
  for (const s of POLICY_STEPS) assert.ok(byId.has(`policy-${s.id}-delete`) && !demoSequence.includes(`policy-${s.id}-delete`))
})

test('catalog: the lab is told apart by context', () => {
  assert.equal(labFor('kind-calico-lab', undefined), 'kind')
  assert.equal(labFor('kubernetes-admin@kubernetes', undefined), 'vms')
  assert.equal(labFor(null, undefined), 'vms')
  assert.equal(labFor('kind-calico-lab', 'vms'), 'vms', 'DEMO_LAB overrides')
})
