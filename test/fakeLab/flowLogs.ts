// Calico's flow logs in the fake lab — test data, not Calico's. For every probe the fake lab answers it files the
// records Felix would report and Goldmane would hold (test/fakeWhisker serves them as whisker-backend v3.31.7 does):
// the source's node reports the source pod's egress, the destination's node the destination pod's ingress.
//
// Where they come from: the tests' one independent oracle (test/support/leastPrivilege.ts) evaluating the policies
// live in the fake API server — the same oracle that decides the fake's probes, never the demo's policy engine. So a
// matrix against the fake lab compares the engine with an evaluation written apart from it, in all three opinions.
// What the oracle names is written as Calico v3.31.7 writes it:
// - a hit per trace: the rule that decided (CalicoNetworkPolicy / StagedNetworkPolicy, tier default, its rule index),
//   the tier's end (rule -1, EndOfTier, its trigger the policy that made the tier apply), or no policy (the namespace
//   profile kns.<ns>) (goldmane/proto/methods.go:232-299, felix/calc/policy_lookup_cache.go:366-369);
// - the end of tier's trigger: for the enforced trace the last enforced policy selecting the endpoint in that direction
//   (felix/calc/endpoint_lookup_cache.go:255-283), for the pending trace the first policy that did not match
//   (app-policy/checker/check.go:125-167);
// - pending: every policy of the tier, staged ones included, evaluated as if enforced — computed for every flow of a
//   local workload, so it equals the enforced trace when nothing is staged (felix/collector/collector.go:805-849;
//   flowLogsPolicyEvaluationMode defaults to Continuous, felix/config/config_params.go:419);
// - names: a pod as generateName + "*", an outside address by the (Global)NetworkSet holding it (longest prefix) or as
//   PUBLIC / PRIVATE NETWORK, namespace "-" (felix/collector/types/endpoint/endpoint.go:68-133).
// Simplifications, said here so nothing passes for more than it is:
// - a record is listed (and streamed) when its bucket closes: Felix's 15 s flush and Goldmane's 15 s bucket taken as
//   one clock; the bucket width is an option so tests need not wait 15 s;
// - a hairpin (a pod probing its own Service and landing on itself) files only the source's record: kube-proxy
//   masquerades the return, and the destination's record would name the node's address;
// - a probe whose verdict a test forced ('allowed' / 'denied' overrides) files nothing: the fake cannot say which
//   policy a dataplane that disagrees with the policies applied.
import { cidrContains, parseCidr, parseIPv4 } from '../../demo-server/src/policy/model.ts'
import type { KubeObject } from '../fakeKube/server.ts'
import { bucketStart, endOfTier, flowResponse, hit } from '../fakeWhisker/records.ts'
import type { GoFlowResponse, GoPolicyHit } from '../fakeWhisker/records.ts'
import type { FakeWhisker } from '../fakeWhisker/server.ts'
import { LeastPrivilegeOracle } from '../support/leastPrivilege.ts'
import type { Decision, Endpoint } from '../support/leastPrivilege.ts'

/** One end of a probe: the oracle's endpoint, and the pod behind it when it is one (an outside client is not). */
export interface FlowEnd {
  endpoint: Endpoint
  pod?: { metadata: { name: string; namespace?: string; generateName?: string; labels?: Record<string, string> } }
}

interface NetworkSetObj extends KubeObject { metadata: KubeObject['metadata'] & { labels?: Record<string, string> }; spec?: { nets?: string[] } }

/** How a flow record names an address Calico knows no workload for: its network set, else the address's class. */
function outsideName(ip: string, objects: readonly KubeObject[]): { name: string; namespace: string; labels?: Record<string, string> } {
  const address = parseIPv4(ip)
  let best: { set: NetworkSetObj; prefix: number } | undefined
  for (const set of objects.filter((o): o is NetworkSetObj => o.apiVersion === 'projectcalico.org/v3' && (o.kind === 'GlobalNetworkSet' || o.kind === 'NetworkSet'))) {
    for (const net of set.spec?.nets ?? []) {
      const cidr = parseCidr(net, true)
      if (address !== undefined && cidr && cidrContains(cidr, address) && (!best || cidr.prefix > best.prefix)) best = { set, prefix: cidr.prefix }
    }
  }
  if (best) return { name: best.set.metadata.name, namespace: best.set.metadata.namespace ?? '-', ...(best.set.metadata.labels ? { labels: best.set.metadata.labels } : {}) }
  const [a, b] = ip.split('.').map(Number)
  const isPrivate = a === 10 || (a === 172 && b! >= 16 && b! <= 31) || (a === 192 && b === 168)
  return { name: isPrivate ? 'PRIVATE NETWORK' : 'PUBLIC NETWORK', namespace: '-' }
}

function nameOf(end: FlowEnd, objects: readonly KubeObject[]): { name: string; namespace: string; labels?: Record<string, string> } {
  const pod = end.pod
  if (!pod) return outsideName(end.endpoint.ip, objects)
  return {
    name: pod.metadata.generateName ? `${pod.metadata.generateName}*` : pod.metadata.name,
    namespace: pod.metadata.namespace ?? '',
    ...(pod.metadata.labels ? { labels: pod.metadata.labels } : {}),
  }
}

/** A decision as the one hit of its trace. */
function hitOf(d: Decision, ep: Endpoint, pending: boolean): GoPolicyHit {
  if (d.by === 'profile') return hit('Profile', `kns.${ep.namespace ?? ''}`, { action: 'Allow' })
  if (d.by === 'rule') {
    return hit(d.policy.staged ? 'StagedNetworkPolicy' : 'CalicoNetworkPolicy', d.policy.metadata.name, { namespace: d.policy.metadata.namespace, action: d.allowed ? 'Allow' : 'Deny', rule: d.rule })
  }
  const trigger = pending ? d.selecting[0]! : d.selecting.filter((p) => !p.staged).at(-1)!
  return endOfTier({ kind: trigger.staged ? 'StagedNetworkPolicy' : 'CalicoNetworkPolicy', name: trigger.metadata.name, namespace: trigger.metadata.namespace })
}

const keyOf = (r: GoFlowResponse): string => {
  const { packets_in: _pi, packets_out: _po, bytes_in: _bi, bytes_out: _bo, ...key } = r
  return JSON.stringify(key)
}

export class FakeFlowLogs {
  private readonly whisker: FakeWhisker
  private readonly bucketSeconds: number

  constructor(whisker: FakeWhisker, bucketSeconds: number) {
    this.whisker = whisker
    this.bucketSeconds = bucketSeconds
  }

  /**
   * Files the records of one connection attempt from `from` to `to` (port and protocol after DNAT) at `at` (unix
   * seconds), with the policies and network sets in `objects` (the fake API server's, as they are now).
   */
  record(objects: readonly KubeObject[], from: FlowEnd, to: FlowEnd & { port: number; protocol: 'TCP' | 'UDP' }, at = Date.now() / 1000): void {
    const docs = objects.filter((o) => o.apiVersion === 'projectcalico.org/v3').map((obj, index) => ({ file: 'fake-lab', index, obj }))
    const enforced = new LeastPrivilegeOracle(docs)
    const withStaged = new LeastPrivilegeOracle(docs, { staged: true })
    const { port, protocol } = to
    const trace = (ep: Endpoint, dir: 'Ingress' | 'Egress', peer: Endpoint) => {
      const now = enforced.decision(ep, dir, peer, port, protocol)
      const pending = withStaged.decision(ep, dir, peer, port, protocol)
      return { allowed: now.allowed, enforced: [hitOf(now, ep, false)], pending: [hitOf(pending, ep, true)] }
    }
    const source = nameOf(from, objects)
    const { name, namespace, labels } = nameOf(to, objects)
    const dest = { name, namespace, port, ...(labels ? { labels } : {}) }
    const base = { at, bucketSeconds: this.bucketSeconds, source, dest, protocol: protocol.toLowerCase() }
    const records: GoFlowResponse[] = []
    let reachesDestination = true
    if (from.pod) {
      const egress = trace(from.endpoint, 'Egress', to.endpoint)
      records.push(flowResponse({ ...base, reporter: 'Src', action: egress.allowed ? 'Allow' : 'Deny', enforced: egress.enforced, pending: egress.pending }))
      reachesDestination = egress.allowed
    }
    const hairpin = from.pod !== undefined && from.endpoint.id === to.endpoint.id
    if (reachesDestination && to.pod && !hairpin) {
      const ingress = trace(to.endpoint, 'Ingress', from.endpoint)
      records.push(flowResponse({ ...base, reporter: 'Dst', action: ingress.allowed ? 'Allow' : 'Deny', enforced: ingress.enforced, pending: ingress.pending }))
    }
    const availableAt = (bucketStart(at, this.bucketSeconds) + this.bucketSeconds) * 1000
    for (const record of records) this.file(record, availableAt)
  }

  /** Goldmane keeps one record per flow key and bucket: a second connection of the same key adds to its counters. */
  private file(record: GoFlowResponse, availableAt: number): void {
    const key = keyOf(record)
    const same = this.whisker.records.find((s) => keyOf(s.record) === key)
    if (!same) return this.whisker.add(record, availableAt)
    same.record.packets_in += record.packets_in
    same.record.packets_out += record.packets_out
    same.record.bytes_in += record.bytes_in
    same.record.bytes_out += record.bytes_out
  }
}
