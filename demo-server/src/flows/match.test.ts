// Matching flow records to matrix cells: names as Felix aggregates them, the time window, the two reporters, staged
// (pending) hits, end-of-tier triggers, conflicts, ambiguous outside sources, and never a verdict without a record.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { aggregatedName, decidingHit, engineId, matchFlowsToCells, nameCovers, networkName, sameDecision } from './match.ts'
import type { FlowCell } from './match.ts'
import type { FlowRecord, PolicyHit, PolicyTrigger } from './whiskerApi.ts'

const T = 1_800_000_000 // unix seconds, a bucket boundary (divisible by 15)
const iso = (s: number): string => new Date(s * 1000).toISOString().replace('.000Z', 'Z')

function h(kind: PolicyHit['kind'], name: string, action: PolicyHit['action'], extra: Partial<PolicyHit> = {}): PolicyHit {
  return { kind, name, namespace: 'dev1', tier: 'default', action, policy_index: 0, rule_index: 0, trigger: null, ...extra }
}

function rec(over: Partial<FlowRecord> & { at?: number } = {}): FlowRecord {
  const start = Math.floor((over.at ?? T) / 15) * 15
  const { at: _at, ...rest } = over
  return {
    start_time: iso(start), end_time: iso(start + 15), action: 'Allow',
    source_name: 'productpage-v1-7d6cf6b8c4-*', source_namespace: 'dev1', source_labels: 'app=productpage',
    dest_name: 'details-v1-5f9c8b7d6e-*', dest_namespace: 'dev1', dest_labels: 'app=details',
    protocol: 'tcp', dest_port: 9080, reporter: 'Dst', policies: { enforced: null, pending: null },
    packets_in: 1, packets_out: 1, bytes_in: 60, bytes_out: 60, ...rest,
  }
}

/** The trigger of an end-of-tier hit: the policy, no action of its own (goldmane/proto/methods.go:279-284). */
const trig = (kind: PolicyHit['kind'], name: string): PolicyTrigger => ({ kind, name, namespace: 'dev1', tier: 'default', action: 'ActionUnspecified', policy_index: 0, rule_index: 0, trigger: null })

const cell = (over: Partial<FlowCell> = {}): FlowCell => ({
  key: 'productpage|details',
  from: { namespace: 'dev1', pod: 'productpage-v1-7d6cf6b8c4-abcde', generateName: 'productpage-v1-7d6cf6b8c4-', ip: '198.19.16.10' },
  to: { namespace: 'dev1', service: 'details', backends: [{ namespace: 'dev1', pod: 'details-v1-5f9c8b7d6e-fghij', generateName: 'details-v1-5f9c8b7d6e-' }], port: 9080, protocol: 'TCP' },
  windowStart: T * 1000 + 2000,
  windowEnd: T * 1000 + 4000,
  ...over,
})

test('names: generateName + "*" as Felix aggregates; a bare pod by its name; outside addresses by class', () => {
  assert.equal(aggregatedName({ pod: 'details-v1-5f9c8b7d6e-fghij', generateName: 'details-v1-5f9c8b7d6e-' }), 'details-v1-5f9c8b7d6e-*')
  assert.equal(aggregatedName({ pod: 'alpine' }), 'alpine')
  assert.ok(nameCovers('details-v1-5f9c8b7d6e-*', { pod: 'details-v1-5f9c8b7d6e-fghij' }), 'prefix when the generateName is not known')
  assert.ok(!nameCovers('details-v1-5f9c8b7d6e-*', { pod: 'details-v1-5f9c8b7d6e-fghij', generateName: 'details-v1-' }), 'exact when it is')
  assert.ok(!nameCovers('details-*', { pod: 'reviews-v1-abc' }))
  assert.ok(!nameCovers('*', { pod: 'anything' }))
  assert.equal(networkName('198.19.15.254'), 'PUBLIC NETWORK', '198.18.0.0/15 is not one of the three private blocks Felix checks')
  assert.equal(networkName('10.1.2.3'), 'PRIVATE NETWORK')
  assert.equal(networkName('172.31.0.1'), 'PRIVATE NETWORK')
  assert.equal(networkName('172.32.0.1'), 'PUBLIC NETWORK')
  assert.equal(networkName('192.168.1.1'), 'PRIVATE NETWORK')
})

test('allowed: both reporters allow; the destination\'s ingress hit is the enforced one, the source\'s kept beside it', () => {
  const [r] = matchFlowsToCells([cell()], [
    rec({ reporter: 'Src', policies: { enforced: [h('CalicoNetworkPolicy', 'default-deny', 'Allow', { rule_index: 2 })], pending: null } }),
    rec({ reporter: 'Dst', policies: { enforced: [h('CalicoNetworkPolicy', 'details', 'Allow')], pending: null } }),
  ])
  assert.equal(r?.state, 'allowed')
  assert.equal(r?.verdict, 'allow')
  assert.equal(r?.decidedBy, 'destination')
  assert.equal(r?.enforced?.text, 'tier default › dev1/details › Allow (rule 0)')
  assert.equal(r?.source?.enforced?.text, 'tier default › dev1/default-deny › Allow (rule 2)')
  assert.equal(r?.pending, undefined, 'no pending traces: no pending verdict')
  assert.equal(r?.records.length, 2)
})

test('denied at ingress: end of tier, with the policy that selected the pod', () => {
  const eot = h('EndOfTier', '', 'Deny', { namespace: '', rule_index: -1, trigger: trig('CalicoNetworkPolicy', 'default-deny') })
  const [r] = matchFlowsToCells([cell()], [rec({ reporter: 'Src' }), rec({ reporter: 'Dst', action: 'Deny', policies: { enforced: [eot], pending: null } })])
  assert.equal(r?.state, 'denied')
  assert.equal(r?.decidedBy, 'destination')
  assert.equal(r?.enforced?.text, 'tier default › end of tier (selected by dev1/default-deny) › Deny')
  assert.deepEqual(r?.enforced?.trigger, { kind: 'CalicoNetworkPolicy', name: 'default-deny', namespace: 'dev1' })
})

test('denied at egress: the source\'s record alone decides (the packet never reached the destination)', () => {
  const [r] = matchFlowsToCells([cell()], [rec({ reporter: 'Src', action: 'Deny', policies: { enforced: [h('GlobalNetworkPolicy', 'block', 'Deny', { namespace: '', tier: 'security' })], pending: null } })])
  assert.equal(r?.state, 'denied')
  assert.equal(r?.decidedBy, 'source')
  assert.equal(r?.enforced?.text, 'tier security › block › Deny (rule 0)')
})

test('partial: only the source\'s Allow so far — no verdict until the destination reports', () => {
  const [r] = matchFlowsToCells([cell()], [rec({ reporter: 'Src' })])
  assert.equal(r?.state, 'partial')
  assert.equal(r?.verdict, undefined)
  assert.match(r?.note ?? '', /no record from the destination's node yet/)
})

test('no record: nothing invented — other ports, protocols, pods, namespaces and times do not count', () => {
  const others = [
    rec({ dest_port: 9081 }),
    rec({ protocol: 'udp' }),
    rec({ dest_name: 'reviews-v1-1a2b3c4d5e-*' }),
    rec({ source_name: 'ratings-v1-6d5b4c3a2f-*' }),
    rec({ source_namespace: 'default' }),
    rec({ dest_namespace: 'dev2' }),
    rec({ at: T + 60 }), // starts after the window
    rec({ at: T - 45 }), // ended before the window (minus Felix's 15 s)
  ]
  const [r] = matchFlowsToCells([cell()], others)
  assert.equal(r?.state, 'no-record')
  assert.equal(r?.verdict, undefined)
  assert.deepEqual(r?.records, [])
})

test('time: a record in the bucket before the probe (Felix\'s interval started earlier) still counts', () => {
  const [r] = matchFlowsToCells([cell()], [rec({ at: T - 15, reporter: 'Dst' })])
  assert.equal(r?.state, 'allowed')
  const [z] = matchFlowsToCells([cell()], [{ ...rec({ reporter: 'Dst' }), start_time: iso(0), end_time: iso(0) }])
  assert.equal(z?.state, 'no-record', 'a record without times is not placed in any window')
  assert.match(z?.note ?? '', /1 record without times ignored/)
})

test('conflict: allowed and denied for the same side in one bucket is shown as such, not resolved', () => {
  const [r] = matchFlowsToCells([cell()], [rec({ reporter: 'Dst' }), rec({ reporter: 'Dst', action: 'Deny', at: T + 1, policies: { enforced: [h('CalicoNetworkPolicy', 'x', 'Deny')], pending: null } })])
  assert.equal(r?.state, 'conflict')
  assert.equal(r?.verdict, undefined)
})

test('a policy change just before the run: the verdict of the later bucket stands, the older record is named', () => {
  // the previous moment's probe (bucket T-15) still falls in this run's window; this run's probe is in bucket T
  const before = rec({ reporter: 'Dst', at: T - 10, policies: { enforced: [h('Profile', 'kns.dev1', 'Allow', { namespace: '', tier: '' })], pending: null } })
  const after = rec({ reporter: 'Dst', action: 'Deny', at: T + 2, policies: { enforced: [h('EndOfTier', '', 'Deny', { namespace: '', rule_index: -1, trigger: trig('CalicoNetworkPolicy', 'default-deny') })], pending: null } })
  const [r] = matchFlowsToCells([cell()], [before, after])
  assert.equal(r?.state, 'denied')
  assert.equal(r?.destination?.superseded, 1)
  assert.match(r?.note ?? '', /1 older record in the window said otherwise: from before the last policy change/)
  const [back] = matchFlowsToCells([cell()], [{ ...before, end_time: after.end_time }, after])
  assert.equal(back?.state, 'conflict', 'the same bucket: nothing tells which came last')
})

test('one bucket, one action, two deciding policies: the action stands, no policy is named (nothing to compare)', () => {
  const viaProfile = rec({ reporter: 'Dst', policies: { enforced: [h('Profile', 'kns.dev1', 'Allow', { namespace: '', tier: '' })], pending: null } })
  const viaRule = rec({ reporter: 'Dst', policies: { enforced: [h('CalicoNetworkPolicy', 'details', 'Allow')], pending: null } })
  const [r] = matchFlowsToCells([cell()], [viaProfile, viaRule])
  assert.equal(r?.state, 'allowed')
  assert.equal(r?.enforced, undefined)
  assert.equal(r?.destination?.hitsDiffer, true)
  assert.match(r?.note ?? '', /records of one 15 s bucket name different policies/)
  const [later] = matchFlowsToCells([cell()], [{ ...viaProfile, ...{ start_time: iso(T - 15), end_time: iso(T) } }, viaRule])
  assert.equal(later?.enforced?.name, 'details', 'in different buckets the newer one is named')
})

test('a policy change just before the run: a source denial newer than the destination\'s allow stands (denied at egress never reaches it)', () => {
  const allowed = (reporter: 'Src' | 'Dst') => rec({ reporter, at: T - 10, policies: { enforced: [h('Profile', 'kns.dev1', 'Allow', { namespace: '', tier: '' })], pending: null } })
  const denied = rec({ reporter: 'Src', action: 'Deny', at: T + 2, policies: { enforced: [h('EndOfTier', '', 'Deny', { namespace: '', rule_index: -1, trigger: trig('CalicoNetworkPolicy', 'default-deny') })], pending: null } })
  const [r] = matchFlowsToCells([cell()], [allowed('Src'), allowed('Dst'), denied])
  assert.equal(r?.state, 'denied')
  assert.equal(r?.decidedBy, 'source')
  assert.equal(r?.destination, undefined, 'the old destination record is not this run\'s')
  assert.match(r?.note ?? '', /2 older records in the window said otherwise/)
  const [same] = matchFlowsToCells([cell()], [{ ...allowed('Dst'), end_time: denied.end_time }, denied])
  assert.equal(same?.state, 'conflict', 'in the same bucket: a conflict, as before')
})

test('outside sources: "PUBLIC NETWORK" for both outside clients is ambiguous, never attributed to one', () => {
  const host1: FlowCell = cell({ key: 'host1|productpage', from: { ip: '198.19.15.254' }, to: { namespace: 'dev1', backends: [{ namespace: 'dev1', pod: 'productpage-v1-7d6cf6b8c4-abcde' }], port: 9080, protocol: 'TCP' } })
  const other: FlowCell = { ...host1, key: 'other|productpage', from: { ip: '198.19.14.254' } }
  const records = [rec({ source_name: 'PUBLIC NETWORK', source_namespace: '-', dest_name: 'productpage-v1-7d6cf6b8c4-*' })]
  const [a, b] = matchFlowsToCells([host1, other], records)
  assert.equal(a?.state, 'ambiguous')
  assert.equal(b?.state, 'ambiguous')
  assert.match(a?.note ?? '', /both 198\.19\.15\.254 and 198\.19\.14\.254 "PUBLIC NETWORK"/)
  const [alone] = matchFlowsToCells([host1], records)
  assert.equal(alone?.state, 'allowed', 'one outside client per window: its record is its own')
  const [later] = matchFlowsToCells([host1, { ...other, windowStart: T * 1000 + 600_000, windowEnd: T * 1000 + 601_000 }], records)
  assert.equal(later?.state, 'allowed', 'not at overlapping times: not ambiguous')
})

test('pending: a staged deny at the destination shows beside the enforced allow', () => {
  const [r] = matchFlowsToCells([cell()], [
    rec({ reporter: 'Src', policies: { enforced: [h('Profile', 'kns.dev1', 'Allow', { namespace: '', tier: '' })], pending: [h('Profile', 'kns.dev1', 'Allow', { namespace: '', tier: '' })] } }),
    rec({
      reporter: 'Dst',
      policies: {
        enforced: [h('Profile', 'kns.dev1', 'Allow', { namespace: '', tier: '' })],
        pending: [h('EndOfTier', '', 'Deny', { namespace: '', rule_index: -1, trigger: trig('StagedNetworkPolicy', 'default-deny') })],
      },
    }),
  ])
  assert.equal(r?.state, 'allowed')
  assert.equal(r?.enforced?.text, 'profile kns.dev1 › Allow')
  assert.equal(r?.pending?.verdict, 'deny')
  assert.equal(r?.pending?.decidedBy, 'destination')
  assert.equal(r?.pending?.hit.text, 'tier default › end of tier (selected by staged dev1/default-deny) › Deny')
})

test('pending: an allow needs the pending trace of every reporting side', () => {
  const allow = [h('StagedNetworkPolicy', 'allow-details', 'Allow')]
  const [both] = matchFlowsToCells([cell()], [rec({ reporter: 'Src', policies: { enforced: null, pending: allow } }), rec({ reporter: 'Dst', policies: { enforced: null, pending: allow } })])
  assert.equal(both?.pending?.verdict, 'allow')
  assert.equal(both?.pending?.hit.text, 'tier default › staged dev1/allow-details › Allow (rule 0)')
  const [dstOnly] = matchFlowsToCells([cell()], [rec({ reporter: 'Dst', policies: { enforced: null, pending: allow } })])
  assert.equal(dstOnly?.pending, undefined, 'the source pod\'s pending egress is unknown')
})

test('deciding hit: Pass hits lead to the next tier; the last Allow/Deny in evaluation order decides', () => {
  const trace = [h('GlobalNetworkPolicy', 'pass-all', 'Pass', { policy_index: 0, tier: 'security' }), h('CalicoNetworkPolicy', 'details', 'Allow', { policy_index: 1 })]
  assert.equal(decidingHit([...trace].reverse())?.name, 'details')
  assert.equal(decidingHit([trace[0] as PolicyHit]), undefined)
  assert.equal(decidingHit(null), undefined)
})

test('engine ids and sameDecision: the engine\'s names for Calico\'s hits, rule indexes compared', () => {
  assert.equal(engineId({ kind: 'CalicoNetworkPolicy', name: 'details', namespace: 'dev1' }), 'dev1/details')
  assert.equal(engineId({ kind: 'NetworkPolicy', name: 'allow', namespace: 'dev1' }), 'dev1/knp.default.allow')
  assert.equal(engineId({ kind: 'GlobalNetworkPolicy', name: 'block', namespace: '' }), 'block')
  assert.equal(engineId({ kind: 'StagedNetworkPolicy', name: 'default-deny', namespace: 'dev1' }), 'dev1/staged:default-deny')
  const [r] = matchFlowsToCells([cell()], [rec({ reporter: 'Dst', policies: { enforced: [h('CalicoNetworkPolicy', 'details', 'Allow', { rule_index: 1 })], pending: null } })])
  const calico = r?.enforced
  assert.ok(calico)
  assert.equal(sameDecision({ allowed: true, decidedBy: 'rule', tier: 'default', policy: 'dev1/details', rule: 'ingress[1]' }, calico).same, true)
  assert.equal(sameDecision({ allowed: true, decidedBy: 'rule', tier: 'default', policy: 'dev1/details', rule: 'ingress[0]' }, calico).same, false)
  const other = sameDecision({ allowed: true, decidedBy: 'rule', tier: 'default', policy: 'dev1/other', rule: 'ingress[1]' }, calico)
  assert.equal(other.same, false)
  assert.match(other.detail, /Calico: tier default › dev1\/details › Allow \(rule 1\); engine: tier default › dev1\/other ingress\[1\]/)
  assert.equal(sameDecision({ allowed: false, decidedBy: 'end-of-tier', tier: 'default' }, calico).same, false)
})
