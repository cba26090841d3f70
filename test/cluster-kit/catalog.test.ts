// The demo catalog (demo-server/src/catalog/): every step refers to manifests, namespaces, workloads and containers
// the lab has; outside probes are fixed, allow-listed argv aimed at the right client.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { actionId } from '../../demo-server/src/protocol.ts'
import { CLUSTER_SCOPE } from '../../demo-server/src/manifests.ts'
import { Catalog, defaultActions } from '../../demo-server/src/catalog/index.ts'
import { LAB, labFor } from '../../demo-server/src/catalog/lab.ts'
import { POLICY_STEPS, policySteps, policyStepActions } from '../../demo-server/src/catalog/policySteps.ts'
import type { Action, HostAction } from '../../demo-server/src/catalog/types.ts'
import { HOST_PROGRAMS } from '../../demo-server/src/host/programs.ts'
import { matchesLabelSelectorText } from '../../demo-server/src/policy/labelSelector.ts'
import { allDocs, knownNamespaces, loadDocs, podModels, ROOT } from './lib/manifests.ts'

const docs = allDocs()
const namespaces = knownNamespaces(docs)
const pods = podModels(docs)
/** Pods the operator creates in calico-system (labels as rendered by the Tigera operator), as their DaemonSet. */
const OPERATOR_WORKLOADS = [{ namespace: 'calico-system', daemonSet: 'calico-node', labels: { 'k8s-app': 'calico-node' }, containers: ['calico-node'] }]
const actions = defaultActions()
const hostActions = actions.filter((a): a is HostAction => a.kind === 'host')

test('catalog: ids are unique and valid', () => {
  const ids = actions.map((a) => a.id)
  assert.equal(new Set(ids).size, ids.length, 'unique ids')
  for (const id of ids) assert.ok(actionId.safeParse(id).success, id)
})

test('catalog: the demo server accepts the demo steps (its own start-up validation)', () => {
  assert.doesNotThrow(() => new Catalog(actions, ROOT))
})

test('catalog: every namespace an action names exists in the lab', () => {
  for (const a of actions) {
    for (const ns of a.namespaces) assert.ok(ns === CLUSTER_SCOPE || namespaces.includes(ns), `${a.id}: namespace ${ns}`)
    if (a.kind === 'exec') assert.ok(a.namespaces.includes(a.namespace), `${a.id} may touch the namespace it execs in`)
    if (a.kind === 'table' && a.namespace) assert.ok(a.namespaces.includes(a.namespace), `${a.id} may read ${a.namespace}`)
  }
})

test('catalog: apply/delete steps are the policy steps, name manifests that exist, and stay inside their namespaces', () => {
  const manifestSteps = actions.filter((a) => a.kind === 'apply' || a.kind === 'delete')
  assert.deepEqual(manifestSteps.map((a) => a.id), policyStepActions.map((a) => a.id), 'every apply/delete is a policy step’s')
  for (const a of manifestSteps) {
    assert.ok(a.manifests.length > 0, a.id)
    for (const file of a.manifests) {
      assert.ok(existsSync(ROOT + file), `${a.id}: ${file} exists`)
      const step = policySteps.find((s) => s.file === file)!
      for (const { obj } of loadDocs(file)) {
        // the platform's steps hold GlobalNetworkPolicies (and only they may change cluster-scoped objects); dev1's,
        // only objects of dev1
        if (step.clusterScoped) assert.ok(!obj.metadata.namespace && /GlobalNetworkPolicy$/.test(obj.kind) && a.namespaces.includes(CLUSTER_SCOPE), `${a.id}: ${obj.kind}/${obj.metadata.name} is the platform's`)
        else assert.ok(obj.metadata.namespace && a.namespaces.includes(obj.metadata.namespace) && !a.namespaces.includes(CLUSTER_SCOPE), `${a.id}: ${obj.kind}/${obj.metadata.name} in ${obj.metadata.namespace}`)
      }
    }
  }
  const applies = manifestSteps.filter((a) => a.kind === 'apply')
  assert.deepEqual(applies.map((a) => a.kind === 'apply' && a.manifests[0]), POLICY_STEPS.map((s) => s.file), 'one apply per policy step, in order')
  for (const s of policySteps) assert.ok(actions.some((a) => a.id === s.remove && a.kind === 'delete' && a.manifests[0] === s.file), `${s.id} can be removed`)
})

test('catalog: exec steps target workloads the lab runs, with their container names', () => {
  for (const a of actions) {
    if (a.kind !== 'exec') continue
    const t = a.target
    const candidates = 'daemonSet' in t
      ? OPERATOR_WORKLOADS.filter((w) => w.namespace === a.namespace && w.daemonSet === t.daemonSet)
      : pods.filter((p) => p.namespace === a.namespace && p.name === ('deployment' in t ? t.deployment : t.pod))
    assert.equal(candidates.length, 1, `${a.id}: ${JSON.stringify(t)} is a workload of ${a.namespace}`)
    if (a.container) assert.ok(candidates[0]!.containers.includes(a.container), `${a.id}: container ${a.container}`)
    else assert.equal(candidates[0]!.containers.length, 1, `${a.id}: no container named, so the workload must have exactly one`)
  }
})

test('catalog: the matrix rows and columns select pods the lab runs', () => {
  const matrix = actions.find((a) => a.kind === 'probe-matrix')!
  assert.equal(matrix.kind, 'probe-matrix')
  if (matrix.kind !== 'probe-matrix') return
  for (const s of matrix.sources) {
    if (!s.pod) continue
    const pod = s.pod
    assert.equal(pods.filter((p) => p.namespace === pod.namespace && matchesLabelSelectorText(pod.selector, p.labels)).length, 1, `${s.id}: ${pod.selector} picks one pod`)
  }
  for (const t of matrix.targets.filter((x) => x.kind === 'http')) {
    assert.ok(pods.some((p) => p.namespace === t.namespace && matchesLabelSelectorText(t.selector, p.labels)), `${t.id}: ${t.selector} has backends`)
  }
})

test('catalog: host steps are fixed argv of allowed programs, for both labs, aimed at the lab’s addresses and the client they name', () => {
  const lbIp = JSON.parse(
    docs.find((d) => d.obj.kind === 'Service' && d.obj.metadata.name === LAB.lbService)!.obj.metadata.annotations['projectcalico.org/loadBalancerIPs'],
  )[0]
  for (const a of hostActions) {
    assert.deepEqual(a.namespaces, [])
    // host1-* and probe-host1-* run on host1; the other range is host2 (kind) or host1's second address (VMs)
    const client = a.id.includes('other-range') ? 'host2' : 'host1'
    for (const lab of ['kind', 'vms'] as const) {
      const argv = a.argv[lab]
      assert.ok((HOST_PROGRAMS as readonly string[]).includes(argv[0]), `${a.id}/${lab}: ${argv[0]}`)
      if (argv[0] === 'docker') assert.deepEqual(argv.slice(1, 3), ['exec', client], `${a.id}: docker exec into ${client}`)
      else assert.deepEqual(argv.slice(1, 4), ['exec', 'host1', '--'], `${a.id}: multipass exec host1 --`)
      for (const arg of argv) assert.ok(!arg.includes('\n') && arg.length < 400, `${a.id}: plain arguments`)
      if (a.id.startsWith('probe-')) assert.ok(argv.some((x) => x.includes(`http://${lbIp}/productpage`)), `${a.id} targets ${lbIp}`)
    }
    assert.match(a.title, client === 'host1' ? /host1/ : /another range/, `${a.id}: its title names the client it runs on`)
  }
  const other = hostActions.find((a) => a.id === 'probe-other-range-productpage')!
  assert.equal(other.argv.kind[2], 'host2', 'kind: the other-range client is host2')
  assert.deepEqual(other.argv.vms.slice(-3, -1), ['--interface', LAB.otherIp], 'VMs: host1 from its other-range address')
})

test('catalog: every probe of the baseline has its twin after the policies', () => {
  const probes = actions.filter((a) => a.id.startsWith('probe-') && !a.id.endsWith('-after'))
  assert.ok(probes.length >= 5)
  for (const p of probes) {
    const after = actions.find((a) => a.id === `${p.id}-after`) as Action | undefined
    assert.ok(after, `${p.id} is probed again after the policies`)
    assert.deepEqual({ ...after, id: p.id, title: '' }, { ...p, title: '' }, `${p.id}-after runs the same probe`)
  }
})

test('catalog: the lab is told apart by context', () => {
  assert.equal(labFor('kind-calico-lab', undefined), 'kind')
  assert.equal(labFor('kubernetes-admin@kubernetes', undefined), 'vms')
  assert.equal(labFor(null, undefined), 'vms')
  assert.equal(labFor('kind-calico-lab', 'vms'), 'vms', 'DEMO_LAB overrides')
})
