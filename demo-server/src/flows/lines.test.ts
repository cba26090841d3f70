// A flows run's output read back as <FlowLog> draws it: one record per line, newest first, the deciding hits readable,
// a staged policy's different verdict flagged, bounded, and nothing but flow records taken.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FlowLineReader, flowRow } from './lines.ts'
import type { FlowRecord, PolicyHit } from './whiskerApi.ts'

const T = 1_800_000_000
const iso = (s: number): string => new Date(s * 1000).toISOString().replace('.000Z', 'Z')
const hit = (over: Partial<PolicyHit>): PolicyHit => ({ kind: 'CalicoNetworkPolicy', name: 'details', namespace: 'dev1', tier: 'default', action: 'Allow', policy_index: 0, rule_index: 0, trigger: null, ...over })
function rec(at: number, over: Partial<FlowRecord> = {}): FlowRecord {
  return {
    start_time: iso(at), end_time: iso(at + 15), action: 'Allow', source_name: 'productpage-v1-7d6cf6b8c4-*', source_namespace: 'dev1', source_labels: '',
    dest_name: 'details-v1-5f9c8b7d6e-*', dest_namespace: 'dev1', dest_labels: '', protocol: 'tcp', dest_port: 9080, reporter: 'Dst',
    policies: { enforced: [hit({})], pending: null }, packets_in: 1, packets_out: 1, bytes_in: 1, bytes_out: 1, ...over,
  }
}
const line = (r: FlowRecord): string => `${JSON.stringify(r)}\n`

test('a row: names as Felix writes them, the port after DNAT, the deciding hit, a staged policy that would change it', () => {
  const r = flowRow(rec(T, { source_name: 'PUBLIC NETWORK', source_namespace: '-', policies: { enforced: [hit({ kind: 'Profile', name: 'kns.dev1', namespace: '', tier: '' })], pending: [hit({ kind: 'EndOfTier', name: '', namespace: '', action: 'Deny', rule_index: -1, trigger: { ...hit({ kind: 'StagedNetworkPolicy', name: 'default-deny', action: 'ActionUnspecified' }), trigger: null } })] } }), 0)
  assert.equal(r.source, 'PUBLIC NETWORK', 'a network has no namespace ("-")')
  assert.equal(r.dest, 'dev1/details-v1-5f9c8b7d6e-*')
  assert.equal(r.port, '9080/tcp')
  assert.equal(r.enforced?.text, 'profile kns.dev1 › Allow')
  assert.equal(r.wouldChange, true)
  assert.equal(r.pending?.text, 'tier default › end of tier (selected by staged dev1/default-deny) › Deny')
  assert.equal(flowRow(rec(T, { policies: { enforced: [hit({})], pending: [hit({})] } }), 0).wouldChange, false, 'the same verdict pending: nothing to flag')
})

test('the reader: lines split across chunks, newest first (a list arrives newest first, a watch oldest first), only records', () => {
  const reader = new FlowLineReader()
  const watch = [rec(T), rec(T + 15, { action: 'Deny' }), rec(T + 30, { reporter: 'Src' })].map(line).join('')
  reader.feed(watch.slice(0, 50))
  assert.equal(reader.rows.length, 0)
  reader.feed(`${watch.slice(50)}not json\n{"start_time":"x"}\n`)
  assert.deepEqual(reader.rows.map((r) => r.record.start_time), [iso(T + 30), iso(T + 15), iso(T)])
  assert.equal(reader.rejected, 2)
  reader.feed(JSON.stringify(rec(T + 45)))
  assert.equal(reader.rows.length, 3, 'no newline yet')
  reader.end()
  assert.equal(reader.rows[0]?.record.start_time, iso(T + 45))
})

test('bounded: the newest `keep` rows, the rest counted', () => {
  const reader = new FlowLineReader(2)
  reader.feed([rec(T), rec(T + 15), rec(T + 30)].map(line).join(''))
  assert.deepEqual(reader.rows.map((r) => r.record.start_time), [iso(T + 30), iso(T + 15)])
  assert.equal(reader.dropped, 1)
})
