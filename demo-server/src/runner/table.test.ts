import { test } from 'node:test'
import assert from 'node:assert/strict'
import { customColumnValue, formatTable, humanDuration } from './table.ts'

test('AGE reads like kubectl (duration.HumanDuration)', () => {
  const s = 1000
  const cases: Array<[number, string]> = [[0, '0s'], [119 * s, '119s'], [125 * s, '2m5s'], [600 * s, '10m'], [21 * 60 * s, '21m'], [(4 * 60 + 14) * 60 * s, '4h14m'], [30 * 3600 * s, '30h'], [(2 * 24 + 3) * 3600 * s, '2d3h'], [20 * 24 * 3600 * s, '20d'], [-5 * s, '<invalid>']]
  for (const [ms, expected] of cases) assert.equal(humanDuration(ms), expected, `${ms} ms`)
})

test('columns are padded like kubectl, last column unpadded', () => {
  assert.equal(formatTable({ header: ['NAME', 'STATUS'], rows: [['control', 'Ready'], ['n1', 'NotReady']] }), 'NAME      STATUS\ncontrol   Ready\nn1        NotReady\n')
})

test('custom columns: dotted paths, [*] over lists, <none> when missing', () => {
  const pool = { metadata: { name: 'lb' }, spec: { cidr: '198.19.48.0/24', natOutgoing: false, blockSize: 26, allowedUses: ['LoadBalancer'] } }
  assert.equal(customColumnValue(pool, '.spec.cidr'), '198.19.48.0/24')
  assert.equal(customColumnValue(pool, '.spec.natOutgoing'), 'false')
  assert.equal(customColumnValue(pool, '.spec.blockSize'), '26')
  assert.equal(customColumnValue(pool, '.spec.allowedUses[*]'), 'LoadBalancer')
  assert.equal(customColumnValue({ spec: { types: ['Ingress', 'Egress'] } }, '.spec.types[*]'), 'Ingress,Egress')
  assert.equal(customColumnValue(pool, '.spec.vxlanMode'), '<none>')
})
