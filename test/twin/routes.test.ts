// Reading host1's kernel table: `ip -j route` as a real kernel prints it (single next hop, ECMP, blackhole), and
// the verdicts the twin and the demo draw from it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { withNetLab } from '../../scripts/lib/netns.ts'
import { judgeRoutes, lbRoutesFollow, parseIpRoutes } from '../../demo-server/src/bgp/routes.ts'

const E = {
  lbIp: '198.19.48.10',
  endpointNode: 'node1',
  endpointIp: '198.19.0.2',
  podPools: ['198.19.16.0/21'],
  nodeNames: { '198.19.0.1': 'control', '198.19.0.2': 'node1', '198.19.0.3': 'node2' },
}

test('parseIpRoutes reads what the kernel prints: host routes, ECMP next hops, protocols', async () => {
  await withNetLab('routest', async (lab) => {
    const a = await lab.ns('a')
    const b = await lab.ns('b')
    await lab.link({ ns: a, ifname: 'eth0', addr: '198.19.15.254/20' }, { ns: b, ifname: 'eth0' })
    for (const argv of [
      ['route', 'add', '198.19.48.10/32', 'proto', 'bird', 'nexthop', 'via', '198.19.0.3', 'nexthop', 'via', '198.19.0.2'],
      ['route', 'add', '198.19.16.64/26', 'proto', 'bird', 'via', '198.19.0.2'],
      ['route', 'add', 'blackhole', '198.19.99.0/24'],
    ]) {
      const r = await lab.exec(a, ['ip', ...argv])
      assert.equal(r.exitCode, 0, r.stderr)
    }
    const shown = await lab.exec(a, ['ip', '-j', '-4', 'route', 'show'])
    const routes = parseIpRoutes(shown.stdout)
    assert.deepEqual(routes.find((r) => r.prefix === '198.19.48.10/32'), { prefix: '198.19.48.10/32', nextHops: ['198.19.0.2', '198.19.0.3'], protocol: 'bird' })
    assert.deepEqual(routes.find((r) => r.prefix === '198.19.16.64/26'), { prefix: '198.19.16.64/26', nextHops: ['198.19.0.2'], protocol: 'bird' })
    assert.deepEqual(routes.find((r) => r.prefix === '198.19.99.0/24')?.nextHops, [])
    assert.deepEqual(routes.find((r) => r.prefix === '198.19.0.0/20')?.protocol, 'kernel')
  })
})

test('judgeRoutes: the endpoint node alone is ok; extra next hops, an aggregate, a pod block or no route are not', () => {
  const bird = (prefix: string, ...nextHops: string[]) => ({ prefix, nextHops, protocol: 'bird' })
  assert.deepEqual(judgeRoutes([bird('198.19.48.10/32', '198.19.0.2')], E), [
    { prefix: '198.19.48.10/32', nextHops: ['198.19.0.2'], endpointNode: 'node1', ok: true },
  ])
  const bad = judgeRoutes([bird('198.19.48.10/32', '198.19.0.1', '198.19.0.2'), bird('198.19.48.0/24', '198.19.0.3'), bird('198.19.16.0/26', '198.19.0.1')], E)
  assert.deepEqual(bad.map((v) => v.ok), [false, false, false])
  assert.match(bad[0]!.why!, /leads to control, node1, not to node1 alone/)
  assert.match(bad[1]!.why!, /198\.19\.48\.0\/24 leads to node2, not to node1 alone/)
  assert.match(bad[2]!.why!, /pod block 198\.19\.16\.0\/26 reaches the outside router \(via control\)/)
  assert.deepEqual(bad.map((v) => v.problem), ['several-next-hops', 'aggregate', 'pod-block'])
  const elsewhere = judgeRoutes([bird('198.19.48.10/32', '198.19.0.3')], E)
  assert.deepEqual(elsewhere.map((v) => [v.ok, v.problem]), [[false, 'other-node']])
  const none = judgeRoutes([{ prefix: '198.19.0.0/20', nextHops: [], protocol: 'kernel' }], E)
  assert.deepEqual(none, [{ prefix: '198.19.48.10/32', nextHops: [], endpointNode: 'node1', ok: false, why: 'no route to 198.19.48.10', problem: 'no-route' }])
  assert.equal(lbRoutesFollow([bird('198.19.48.10/32', '198.19.0.2')], E), true)
  assert.equal(lbRoutesFollow([bird('198.19.48.10/32', '198.19.0.2'), bird('198.19.48.0/24', '198.19.0.3')], E), false)
  assert.equal(lbRoutesFollow([], E), false)
})
