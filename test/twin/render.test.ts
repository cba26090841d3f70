// The routing twin's renderer: the lab's manifests turned into the BIRD configuration Calico v3.31.7's confd would
// write on each node. Golden renders sit beside their inputs (test/twin/cases/<case>/golden/<node>/), as confd's
// own tests keep compiled_templates beside mock_data; Debian's BIRD 1.6 must accept every one of them; and the
// decisions confd's Go code makes (which node advertises what) are checked one by one.
//
// Changed the renderer or the manifests on purpose? Regenerate, then read the diff:
//   UPDATE_GOLDEN=1 node --test test/twin/render.test.ts && git diff test/twin/cases/
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NODE_NAMES, readTwinInputs, twinCluster } from '../../scripts/lib/bgp/cluster.ts'
import type { NodeName, TwinInputs } from '../../scripts/lib/bgp/cluster.ts'
import { confdView, EXCLUDE_LB_LABEL } from '../../demo-server/src/bgp/confd.ts'
import { labFromManifests, loadManifestDir } from '../../demo-server/src/bgp/lab.ts'
import { renderNode } from '../../scripts/lib/bgp/render.ts'
import { birdTools, REPO_ROOT } from '../../scripts/lib/bgp/tools.ts'

const CASES = join(REPO_ROOT, 'test/twin/cases')
interface Case {
  manifests: string
  scripts: string
  endpointNode: NodeName
}
const cases = readdirSync(CASES).sort()
const caseOf = (name: string): Case => JSON.parse(readFileSync(join(CASES, name, 'case.json'), 'utf8'))
const inputsOf = (c: Case) => readTwinInputs(join(REPO_ROOT, c.manifests), join(REPO_ROOT, c.scripts))
const render = (inputs: TwinInputs, node: NodeName, endpointNode: NodeName) => renderNode(confdView(inputs.lab, twinCluster(inputs, endpointNode), node))

test('twin cases: the lab and the state before the fix are both there', () => {
  assert.deepEqual(cases, ['before-fix', 'lab'])
})

for (const name of cases) {
  test(`golden renders: ${name} (every node, every file)`, () => {
    const c = caseOf(name)
    const inputs = inputsOf(c)
    for (const node of NODE_NAMES) {
      for (const [file, text] of Object.entries(render(inputs, node, c.endpointNode))) {
        const golden = join(CASES, name, 'golden', node, file)
        if (process.env.UPDATE_GOLDEN === '1') {
          mkdirSync(join(CASES, name, 'golden', node), { recursive: true })
          writeFileSync(golden, text)
          continue
        }
        assert.ok(existsSync(golden), `${golden} is missing: run with UPDATE_GOLDEN=1 once and commit it`)
        assert.equal(text, readFileSync(golden, 'utf8'), `${name}/${node}/${file} differs from its golden render (see the header of this file)`)
      }
    }
  })
}

test('Debian BIRD 1.6 accepts every golden render (bird -p)', () => {
  const { bird16 } = birdTools()
  assert.ok(existsSync(bird16), `BIRD 1.6 is required for this test (${bird16}): apt-get install bird`)
  for (const name of cases) {
    for (const node of NODE_NAMES) {
      const dir = join(CASES, name, 'golden', node)
      const r = spawnSync(bird16, ['-p', '-c', join(dir, 'bird.cfg')], { encoding: 'utf8' })
      assert.equal(r.status, 0, `${name}/${node}: ${r.stderr}`)
    }
  }
  // ... and the check can fail
  const dir = mkdtempSync(join(tmpdir(), 'twin-render-'))
  try {
    writeFileSync(join(dir, 'bird.cfg'), 'router id 1.2.3.4;\nprotocol bgp x { krt_tunnel = ""; }\n')
    assert.notEqual(spawnSync(bird16, ['-p', '-c', join(dir, 'bird.cfg')]).status, 0)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('lab: only the endpoint node originates the /32, towards host1 through the filter, next hop kept', () => {
  const inputs = inputsOf(caseOf('lab'))
  for (const endpointNode of ['node1', 'node2'] as const) {
    for (const node of NODE_NAMES) {
      const files = render(inputs, node, endpointNode)
      const hasRoute = files['bird_aggr.cfg'].includes('route 198.19.48.10/32 blackhole;')
      assert.equal(hasRoute, node === endpointNode, `${node} with the endpoint on ${endpointNode}`)
      assert.doesNotMatch(files['bird_aggr.cfg'], /198\.19\.48\.0\/24 blackhole/, 'no aggregate route')
      const peer = /protocol bgp Global_198_19_15_254 from bgp_template \{[\s\S]*?\n\}/.exec(files['bird.cfg'])?.[0] ?? ''
      assert.match(peer, /neighbor 198\.19\.15\.254 as 64513;/)
      assert.match(peer, /next hop keep;/)
      assert.match(peer, /'bgp_host1-loadbalancer-only_exportFilterV4'\(\);\n {4}calico_export_to_bgp_peers\(false\);/, 'filter before Calico’s export function')
      assert.match(peer, /'bgp_host1-loadbalancer-only_importFilterV4'\(\);\n {4}accept;/)
    }
  }
  const cfg = render(inputs, 'node1', 'node1')['bird.cfg']
  assert.ok(cfg.includes([
    "function 'bgp_host1-loadbalancer-only_exportFilterV4'() {",
    '  if (((defined(source))&&(source ~ [ RTS_BGP ]))) then { reject; }',
    '  if ((net ~ [ 198.19.48.0/24{32,32} ])) then { accept; }',
    '  reject;',
    '}',
  ].join('\n')), cfg)
})

test('confd decisions: aggregation, the exclusion label value, ETP, readiness', () => {
  const inputs = inputsOf(caseOf('lab'))
  const view = (lab: TwinInputs['lab'], node: NodeName, cluster = twinCluster(inputs, 'node1')) => confdView(lab, cluster, node)
  // aggregation Enabled: every node not excluded advertises the /24 and keeps it out of its kernel
  const aggregated = { ...inputs.lab, bgp: { ...inputs.lab.bgp, lbAggregation: 'Enabled' as const } }
  assert.deepEqual(view(aggregated, 'node2').staticRoutes, ['198.19.48.0/24'])
  assert.deepEqual(view(aggregated, 'node2').rejectCidrs, ['198.19.48.0/24'])
  assert.deepEqual(view(aggregated, 'node1').staticRoutes, ['198.19.48.0/24', '198.19.48.10/32'])
  assert.deepEqual(view(aggregated, 'control').staticRoutes, [], 'control is labelled exclude…=true by the scripts')
  assert.deepEqual(view(aggregated, 'control').rejectCidrs, ['198.19.48.0/24'], 'an excluded node still keeps the range out of its kernel')
  // kubeadm's empty value does not exclude
  const kubeadmOnly = twinCluster(inputs, 'control')
  kubeadmOnly.nodes[0]!.labels = { ...kubeadmOnly.nodes[0]!.labels, [EXCLUDE_LB_LABEL]: '' }
  assert.deepEqual(view(inputs.lab, 'control', kubeadmOnly).staticRoutes, ['198.19.48.10/32'], 'label value "" is not honoured')
  assert.deepEqual(view(inputs.lab, 'control', twinCluster(inputs, 'control')).staticRoutes, [], 'label value "true" is')
  // a not-ready endpoint is not advertised (the 3.31.7 fix)
  const notReady = twinCluster(inputs, 'node1')
  notReady.endpoints[0]!.ready = false
  assert.deepEqual(view(inputs.lab, 'node1', notReady).staticRoutes, [])
  // ETP Cluster without aggregation: every node that sees a ready endpoint anywhere advertises
  const cluster = { ...inputs.lab, services: inputs.lab.services.map((s) => ({ ...s, externalTrafficPolicy: 'Cluster' as const })) }
  for (const node of NODE_NAMES.filter((n) => n !== 'control')) assert.deepEqual(view(cluster, node).staticRoutes, ['198.19.48.10/32'], node)
})

test('the renderer refuses what it does not model, naming the field', () => {
  const docs = loadManifestDir(join(REPO_ROOT, 'manifests'))
  const peer = docs.find((d) => d.kind === 'BGPPeer')
  assert.doesNotThrow(() => labFromManifests(docs))
  peer.spec.nodeSelector = "kubernetes.io/hostname == 'node1'"
  assert.throws(() => labFromManifests(docs), /BGPPeer host1 spec: the routing twin does not model field "nodeSelector"/)
  delete peer.spec.nodeSelector
  peer.spec.keepOriginalNextHop = true
  assert.throws(() => labFromManifests(docs), /keepOriginalNextHop must not be true when nextHopMode is set/)
  delete peer.spec.keepOriginalNextHop
  const filter = docs.find((d) => d.kind === 'BGPFilter')
  filter.spec.exportV4[1].matchOperator = 'Within'
  assert.throws(() => labFromManifests(docs), /matchOperator: "Within" is not one of Equal, NotEqual, In, NotIn/)
})
