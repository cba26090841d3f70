// The third opinion of a matrix run: what Calico itself recorded for each probed cell, read from its flow logs
// (flows/: whisker-backend through a port-forward) once the probes are done, settling's re-probes included. Felix
// flushes every 15 s and Goldmane files flows in 15 s buckets, so the records come late: the run reads the list until
// every cell has its answer or the action's deadline passes, writing each cell's opinion as it settles. A cell with no
// record says so; a failure to read the flow logs at all says why on every cell — the probes' opinions stand either way.
import { CustomObjectsApi } from '@kubernetes/client-node'
import type { KubeConfig, V1Pod } from '@kubernetes/client-node'
import type { MatrixSource, MatrixTarget, ProbeMatrixAction } from '../catalog/types.ts'
import { collectCellFlows, FlowsError, settled, WhiskerFlowsReader } from '../flows/index.ts'
import type { CellFlowResult, CellPod, FlowCell, HitView, SideVerdict } from '../flows/index.ts'
import { abortable } from '../kube/clients.ts'
import { describeClusterError } from '../kube/cluster.ts'
import { matchesLabelSelectorText } from '../policy/labelSelector.ts'
import { cidrContains, parseCidr, parseIPv4 } from '../policy/model.ts'
import { probePlan } from './model.ts'
import type { CalicoView, HitLine, OpinionLine } from './wire.ts'

export interface CalicoOpinionContext {
  /** the pods of the matrix's namespaces, as the run listed them */
  pods: readonly V1Pod[]
  /** row id → the pod its probes left from */
  found: ReadonlyMap<string, V1Pod>
  /** performance.now() when the run started: the probes' window opens there */
  t0: number
  write(line: OpinionLine): void
  info(text: string): void
  signal: AbortSignal
  /**
   * cells whose probe changed its verdict when settling probed them again (the dataplane took the policy change during
   * the run) → what the first probe saw. Calico recorded both probes, each in its own flush: a record saying only what
   * the first probe saw is no answer yet — the re-probe's record may still be on its way.
   */
  changedWhileSettling?: ReadonlyMap<string, 'allowed' | 'denied'>
  /**
   * cells whose probe never reached the network (it did not run): no record can be of it, and an older one — another
   * moment's — would pass for Calico's opinion of it. They get none.
   */
  noConnection?: ReadonlySet<string>
}

interface NetworkSet { name: string; namespace?: string; nets: string[] }

/** The lab's (Global)NetworkSets: Felix names an outside address by the set holding it, longest prefix first. */
async function readNetworkSets(kc: KubeConfig, signal: AbortSignal): Promise<NetworkSet[]> {
  const custom = abortable(kc, CustomObjectsApi, signal)
  const lists = await Promise.all(['globalnetworksets', 'networksets'].map(async (plural) => {
    const list = (await custom.listClusterCustomObject({ group: 'projectcalico.org', version: 'v3', plural })) as { items?: Array<{ metadata?: { name?: string; namespace?: string }; spec?: { nets?: string[] } }> }
    return (list.items ?? []).map((s) => ({ name: s.metadata?.name ?? '', ...(s.metadata?.namespace ? { namespace: s.metadata.namespace } : {}), nets: s.spec?.nets ?? [] }))
  }))
  return lists.flat()
}

/** The set Felix would name `ip` by (felix/calc/networkset_lookup_cache.go:186-199: the longest prefix that holds it). */
export function networkSetOf(sets: readonly NetworkSet[], ip: string): { name: string; namespace?: string } | undefined {
  const address = parseIPv4(ip)
  if (address === undefined) return undefined
  let best: { set: NetworkSet; prefix: number } | undefined
  for (const set of sets) {
    for (const net of set.nets) {
      const cidr = parseCidr(net, true)
      if (cidr && cidrContains(cidr, address) && (!best || cidr.prefix > best.prefix)) best = { set, prefix: cidr.prefix }
    }
  }
  return best && { name: best.set.name, ...(best.set.namespace ? { namespace: best.set.namespace } : {}) }
}

const cellPod = (p: V1Pod): CellPod => ({
  namespace: p.metadata?.namespace ?? '',
  pod: p.metadata?.name ?? '',
  ...(p.metadata?.generateName ? { generateName: p.metadata.generateName } : {}),
  ...(p.status?.podIP ? { ip: p.status.podIP } : {}),
})

/** The Running pods behind a target (its Service's selector): a record to any of them is a record of the cell. */
function backendsOf(pods: readonly V1Pod[], target: MatrixTarget): CellPod[] {
  return pods
    .filter((p) => p.metadata?.namespace === target.namespace && p.status?.phase === 'Running' && p.status.podIP && matchesLabelSelectorText(target.selector, p.metadata?.labels ?? {}))
    .map(cellPod)
}

interface Probed {
  source: MatrixSource
  target: MatrixTarget
  cell: FlowCell
  /**
   * the source pod is one of the target's backends: its probe may come back to itself, which kube-proxy masquerades
   * (the destination's record then names the node's address, not this pod), so the source's record may be all there is
   */
  hairpin: boolean
}

/**
 * The probed cells as the matcher takes them. A cell names the port its backends receive: flow logs carry the port
 * after DNAT (felix/collector/goldmane/client.go:131), which is the target's port (the lab's Services keep port and
 * targetPort equal; an outside client's LoadBalancer port 80 arrives as 9080).
 */
export function flowCells(action: ProbeMatrixAction, ctx: Pick<CalicoOpinionContext, 'pods' | 'found'>, sets: readonly NetworkSet[], window: { start: number; end: number }): Probed[] {
  const out: Probed[] = []
  for (const source of action.sources) {
    const pod = ctx.found.get(source.id)
    let from: FlowCell['from'] | undefined
    if (source.outside) {
      const networkSet = networkSetOf(sets, source.outside.ip)
      from = { ip: source.outside.ip, ...(networkSet ? { networkSet } : {}) }
    } else if (pod?.status?.podIP) {
      const p = cellPod(pod)
      from = { namespace: p.namespace, pod: p.pod, ...(p.generateName ? { generateName: p.generateName } : {}), ip: pod.status.podIP }
    }
    if (!from) continue // no pod, no probe: the row's observations already say so
    for (const target of action.targets) {
      if (!probePlan(source, target).probed) continue
      const backends = backendsOf(ctx.pods, target)
      if (backends.length === 0) continue
      out.push({
        source,
        target,
        hairpin: !!from.pod && backends.some((b) => b.namespace === from.namespace && b.pod === from.pod),
        cell: {
          key: `${source.id}|${target.id}`,
          from,
          to: { namespace: target.namespace, service: target.service, backends, port: target.port, protocol: target.protocol },
          windowStart: window.start,
          windowEnd: window.end,
        },
      })
    }
  }
  return out
}

function hitLine(h: HitView): HitLine {
  return {
    kind: h.kind,
    tier: h.tier.slice(0, 253),
    name: h.name.slice(0, 253),
    namespace: h.namespace.slice(0, 63),
    action: h.action,
    policyIndex: h.policyIndex,
    ruleIndex: h.ruleIndex,
    ...(h.trigger ? { trigger: { kind: h.trigger.kind, name: h.trigger.name.slice(0, 253), namespace: h.trigger.namespace.slice(0, 63) } } : {}),
    text: h.text.slice(0, 600),
  }
}

function sideLine(s: SideVerdict): NonNullable<CalicoView['source']> {
  return {
    reporter: s.reporter,
    action: s.action,
    ...(s.enforced ? { enforced: hitLine(s.enforced) } : {}),
    ...(s.pending ? { pending: { action: s.pending.action, hit: hitLine(s.pending.hit) } } : {}),
  }
}

const HAIRPIN = "a pod reaching its own Service: kube-proxy masquerades the hairpin, so the destination's record names the node's address, not this pod; Calico's record of the source's egress is all there is"

/** One cell's Calico opinion, as a matrix line. */
export function calicoLine(probed: Pick<Probed, 'source' | 'target' | 'hairpin'>, r: CellFlowResult): OpinionLine {
  const view: CalicoView = {
    state: r.state,
    ...(r.decidedBy ? { decidedBy: r.decidedBy } : {}),
    ...(r.enforced ? { enforced: hitLine(r.enforced) } : {}),
    ...(r.pending ? { pending: { verdict: r.pending.verdict === 'allow' ? 'allowed' : 'denied', decidedBy: r.pending.decidedBy, hit: hitLine(r.pending.hit) } } : {}),
    ...(r.source ? { source: sideLine(r.source) } : {}),
    ...(r.destination ? { destination: sideLine(r.destination) } : {}),
    records: r.records.slice(0, 8).map((x) => ({
      reporter: x.reporter,
      action: x.action.slice(0, 20),
      start: x.start.slice(0, 40),
      end: x.end.slice(0, 40),
      source: x.source.slice(0, 400),
      dest: x.dest.slice(0, 400),
      enforced: x.enforced.slice(0, 16).map((t) => t.slice(0, 600)),
      pending: x.pending.slice(0, 16).map((t) => t.slice(0, 600)),
    })),
  }
  return {
    kind: 'opinion',
    by: 'calico',
    from: probed.source.id,
    to: probed.target.id,
    verdict: r.verdict === 'allow' ? 'allowed' : r.verdict === 'deny' ? 'denied' : 'unknown',
    evidence: r.state,
    reason: (probed.hairpin && r.state === 'partial' ? `${HAIRPIN} — ${r.note}` : r.note).slice(0, 4000),
    calico: view,
  }
}

/**
 * After the probes: Calico's opinion on every probed cell, written as it settles (the run's one hook into flow logs).
 * Ends when every cell has its answer, at the deadline, or with the run's signal; throws only for the signal.
 */
export async function addCalicoOpinions(kc: KubeConfig, action: ProbeMatrixAction, ctx: CalicoOpinionContext): Promise<void> {
  const flowLogs = action.flowLogs
  if (!flowLogs) return
  const { signal } = ctx
  let sets: NetworkSet[] = []
  try {
    sets = await readNetworkSets(kc, signal)
  } catch (error) {
    signal.throwIfAborted()
    ctx.info(`network sets not read (${describeClusterError(error).message}): outside clients are matched as Calico names unknown addresses\n`)
  }
  const probed = flowCells(action, ctx, sets, { start: performance.timeOrigin + ctx.t0, end: Date.now() }).filter((p) => !ctx.noConnection?.has(p.cell.key))
  if (probed.length === 0) return
  const byKey = new Map(probed.map((p) => [p.cell.key, p]))
  const written = new Map<string, string>()
  const write = (r: CellFlowResult): void => {
    const p = byKey.get(r.key)
    if (!p) return
    const line = calicoLine(p, r)
    const text = JSON.stringify(line)
    if (written.get(r.key) === text) return
    written.set(r.key, text)
    ctx.write(line)
  }
  /** Calico's records say only what a cell's first probe saw, and its re-probe saw otherwise */
  const beforeChange = (r: CellFlowResult): boolean => {
    const first = ctx.changedWhileSettling?.get(r.key)
    return first !== undefined && (r.verdict === 'allow' ? 'allowed' : r.verdict === 'deny' ? 'denied' : undefined) === first
  }
  // Felix reports a flow at its next flush. Until one has passed since the last probe, the records listed may be only
  // the previous moment's: a policy step's matrix runs right after the change, and a probe from before it can fall in
  // this window (15 s buckets) and look like an answer. Once it has, this run's records are in, and a newer bucket
  // stands over an older one (match.ts) — and the next matrix's probes land in a later bucket than these.
  const flushedAt = Date.now() + flowLogs.flushSeconds * 1000
  /** a cell has its answer, or all the answer it can get */
  const done = (r: CellFlowResult): boolean => Date.now() >= flushedAt && ((settled(r) && !beforeChange(r)) || (r.state === 'partial' && byKey.get(r.key)?.hairpin === true))
  ctx.info(`waiting for flow logs: Felix flushes every 15 s, Goldmane files flows in 15 s buckets (up to ${flowLogs.deadlineSeconds} s)\n`)
  try {
    const collected = await collectCellFlows(new WhiskerFlowsReader(kc), probed.map((p) => p.cell), {
      namespaces: flowLogs.namespaces,
      deadlineMs: flowLogs.deadlineSeconds * 1000,
      pollMs: flowLogs.pollSeconds * 1000,
      signal,
      isSettled: done,
      onProgress: (results, waiting) => {
        for (const r of results) if (done(r) || !waiting) write(r)
        if (waiting) ctx.info(`waiting for flow logs: ${results.filter(done).length}/${results.length} cells have Calico's answer\n`)
      },
    })
    const missing = collected.results.filter((r) => !done(r)).length
    ctx.info(`flow logs: ${collected.results.length - missing}/${collected.results.length} cells have Calico's answer after ${collected.reads} read${collected.reads === 1 ? '' : 's'} of whisker pod ${collected.list.pod}${missing ? `; ${missing} without a complete record by the deadline` : ''}\n`)
  } catch (error) {
    signal.throwIfAborted()
    if (!(error instanceof FlowsError) || error.kind === 'cancelled') throw error
    const reason = `Calico's flow logs could not be read (${error.kind}): ${error.message}`
    ctx.info(`${reason}\n`)
    for (const p of probed) {
      if (written.has(p.cell.key)) continue // settled before the failure: that answer stands
      ctx.write({
        kind: 'opinion', by: 'calico', from: p.source.id, to: p.target.id, verdict: 'unknown', evidence: 'unavailable', reason: reason.slice(0, 4000),
        calico: { state: 'unavailable', records: [] },
      })
    }
  }
}
