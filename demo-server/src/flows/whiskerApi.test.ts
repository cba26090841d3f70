// The v3.31.7 whisker-backend JSON schemas and query builder: what the Go types produce is accepted, what they
// cannot produce is refused, and the query is written the way the server decodes it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { flowList, flowRecord, flowsPath, parseLabels, unixSeconds } from './whiskerApi.ts'

/** A record as whisker-backend v3.31.7 marshals it (Go time.Time, nil slices as null, enum names). */
const goRecord = {
  start_time: '2026-11-22T10:00:15Z',
  end_time: '2026-11-22T10:00:30Z',
  action: 'Deny',
  source_name: 'PUBLIC NETWORK',
  source_namespace: '-',
  source_labels: '',
  dest_name: 'productpage-v1-7d6cf6b8c4-*',
  dest_namespace: 'dev1',
  dest_labels: 'app=productpage | version=v1',
  protocol: 'tcp',
  dest_port: 9080,
  reporter: 'Dst',
  policies: {
    enforced: [{
      kind: 'EndOfTier', name: '', namespace: '', tier: 'default', action: 'Deny', policy_index: 0, rule_index: -1,
      trigger: { kind: 'CalicoNetworkPolicy', name: 'default-deny', namespace: 'dev1', tier: 'default', action: 'ActionUnspecified', policy_index: 0, rule_index: 0, trigger: null },
    }],
    pending: null,
  },
  packets_in: 0,
  packets_out: 3,
  bytes_in: 0,
  bytes_out: 180,
}

test('a record in the Go shape parses; times with a zone offset or nanoseconds too', () => {
  assert.equal(flowRecord.parse(goRecord).policies.enforced?.[0]?.trigger?.name, 'default-deny')
  assert.ok(flowRecord.safeParse({ ...goRecord, start_time: '2026-11-22T11:00:15+01:00' }).success)
  assert.ok(flowRecord.safeParse({ ...goRecord, start_time: '2026-11-22T10:00:15.123456789Z' }).success)
  assert.equal(unixSeconds('2026-11-22T11:00:15+01:00'), unixSeconds('2026-11-22T10:00:15Z'))
})

test('what the Go types cannot produce is refused', () => {
  for (const [field, value] of [
    ['action', 'deny'], // enum names are capitalised
    ['reporter', 'src'],
    ['dest_port', '9080'],
    ['start_time', 1764000015],
    ['policies', { enforced: [] }],
  ] as const) {
    assert.equal(flowRecord.safeParse({ ...goRecord, [field]: value }).success, false, `${field}: ${JSON.stringify(value)}`)
  }
  assert.equal(flowRecord.safeParse({ ...goRecord, extra: 1 }).success, false, 'no unknown fields')
  const nested = structuredClone(goRecord)
  ;(nested.policies.enforced[0]!.trigger as unknown as { trigger: unknown }).trigger = nested.policies.enforced[0]
  assert.equal(flowRecord.safeParse(nested).success, false, 'a trigger has no trigger of its own')
})

test('the list envelope: total is an object, items may be null', () => {
  assert.ok(flowList.safeParse({ total: { totalPages: 0 }, items: null }).success)
  assert.ok(flowList.safeParse({ total: { totalPages: 1 }, items: [goRecord] }).success)
  assert.equal(flowList.safeParse({ total: 1, items: [] }).success, false)
  assert.equal(flowList.safeParse([goRecord]).success, false)
})

test('flowsPath: query names of ListFlowsParams, filters as JSON, refused when the server would unescape it wrongly', () => {
  assert.equal(flowsPath({}), '/whisker-backend/flows')
  const path = flowsPath({ watch: true, startTimeGte: 1764000000.7, filters: { dest_namespaces: [{ value: 'dev1', type: 'Exact' }] } })
  const url = new URL(path, 'http://localhost')
  assert.equal(url.pathname, '/whisker-backend/flows')
  assert.equal(url.searchParams.get('watch'), 'true')
  assert.equal(url.searchParams.get('startTimeGte'), '1764000000')
  assert.deepEqual(JSON.parse(url.searchParams.get('filters') ?? ''), { dest_namespaces: [{ value: 'dev1', type: 'Exact' }] })
  assert.throws(() => flowsPath({ filters: { source_names: [{ value: 'a+b', type: 'Exact' }] } }), /unescapes it twice/)
  assert.throws(() => flowsPath({ filters: { source_names: [{ value: 'x', type: 'Exactly' as 'Exact' }] } }))
})

test('labels as the handler writes them', () => {
  assert.deepEqual(parseLabels('app=productpage | version=v1 | a=b=c'), { app: 'productpage', version: 'v1', a: 'b=c' })
  assert.deepEqual(parseLabels(''), {})
})
