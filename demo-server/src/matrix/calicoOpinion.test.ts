// Which flow-log name an outside client has (the network set Felix would pick), and which cells can only ever have the
// source's record (a pod reaching itself through its Service).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { V1Pod } from '@kubernetes/client-node'
import { reachMatrix } from '../catalog/matrices.ts'
import { flowCells, networkSetOf } from './calicoOpinion.ts'

test('network sets: the longest prefix holding the address names it, as Felix looks it up', () => {
  const sets = [
    { name: 'lab', nets: ['198.19.0.0/16'] },
    { name: 'allowed-outside-range', nets: ['198.19.15.0/24'] },
    { name: 'partners', namespace: 'dev1', nets: ['203.0.113.0/24', '198.19.15.254/32'] },
  ]
  assert.deepEqual(networkSetOf(sets, '198.19.15.254'), { name: 'partners', namespace: 'dev1' })
  assert.deepEqual(networkSetOf(sets, '198.19.15.1'), { name: 'allowed-outside-range' })
  assert.deepEqual(networkSetOf(sets, '198.19.14.254'), { name: 'lab' })
  assert.equal(networkSetOf(sets, '192.0.2.1'), undefined)
  assert.equal(networkSetOf(sets, 'not an address'), undefined)
})

const pod = (namespace: string, name: string, labels: Record<string, string>, ip: string): V1Pod => ({
  metadata: { namespace, name, generateName: name.replace(/[a-z0-9]{5}$/, ''), labels },
  status: { phase: 'Running', podIP: ip },
})

test('cells: probed ones only, the backends behind each Service, the hairpin marked, outside clients by their set', () => {
  const pods = [
    pod('dev1', 'productpage-v1-abc12-xyz12', { app: 'productpage' }, '10.0.0.1'),
    pod('dev1', 'details-v1-abc12-xyz34', { app: 'details' }, '10.0.0.2'),
    pod('kube-system', 'coredns-abc12-xyz56', { 'k8s-app': 'kube-dns' }, '10.0.0.3'),
  ]
  const found = new Map([['productpage', pods[0]!]])
  const cells = flowCells(reachMatrix, { pods, found }, [{ name: 'allowed-outside-range', nets: ['198.19.15.0/24'] }], { start: 1, end: 2 })
  const keys = cells.map((c) => c.cell.key)
  assert.ok(keys.includes('productpage|details') && keys.includes('productpage|dns'))
  assert.ok(!keys.includes('productpage|reviews'), 'no backend: no cell (the engine and the probe say why)')
  assert.ok(!keys.some((k) => k.startsWith('details|')), 'no pod found for the row: no probe, no cell')
  assert.ok(!keys.includes('other-range|details'), 'never probed')
  const self = cells.find((c) => c.cell.key === 'productpage|productpage')!
  assert.equal(self.hairpin, true)
  assert.equal(cells.find((c) => c.cell.key === 'productpage|details')!.hairpin, false)
  assert.deepEqual(cells.find((c) => c.cell.key === 'host1|productpage')!.cell.from, { ip: '198.19.15.254', networkSet: { name: 'allowed-outside-range' } })
  assert.deepEqual(cells.find((c) => c.cell.key === 'other-range|productpage')!.cell.from, { ip: '198.19.14.254' })
  const dns = cells.find((c) => c.cell.key === 'productpage|dns')!.cell
  assert.deepEqual(dns.to, { namespace: 'kube-system', service: 'kube-dns', backends: [{ namespace: 'kube-system', pod: 'coredns-abc12-xyz56', generateName: 'coredns-abc12-', ip: '10.0.0.3' }], port: 53, protocol: 'UDP' })
})
