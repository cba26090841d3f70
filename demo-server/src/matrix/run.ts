// A probe-matrix run: read the cluster, write the engine's expectation, then probe every cell in parallel (bounded)
// and write each observation as it ends, as matrix lines (wire.ts) on stdout — so the run store, replay, late join and
// export treat it like any other run.
//
// Then it settles. A matrix often runs right after a policy step's apply or delete returned, when Felix may not have
// programmed the change yet: a fresh deny can still connect, a fresh allow still time out. So a cell whose probe
// disagrees with the expectation is probed again after a short wait (SETTLE_WAITS_MS, with the run's signal), up to
// three times, and the slide says "settling" meanwhile (a settling line). Only what still disagrees after that is a
// mismatch. How long it took is printed: the info line and the summary.
//
// Last, where the action reads flow logs, Calico's own opinion per cell (calicoOpinion.ts): once, after settling, so
// its records are matched against the probes as they ended. The summary's wall time includes that wait; the info
// line's probe time does not.
import { setTimeout as sleep } from 'node:timers/promises'
import type { KubeConfig, V1Pod } from '@kubernetes/client-node'
import type { MatrixSource, MatrixTarget, ProbeMatrixAction } from '../catalog/types.ts'
import type { Lab } from '../host/programs.ts'
import { matchesLabelSelectorText } from '../policy/labelSelector.ts'
import { addCalicoOpinions } from './calicoOpinion.ts'
import { listMatrixPods, readEngineInputs, readProbeTargets } from './clusterRead.ts'
import { expectation } from './expectation.ts'
import { endpointsOf, probePlan, sourcePods } from './model.ts'
import { createPool } from './pool.ts'
import type { Observation, ProbeJob, ProbeRunner } from './probe.ts'
import { debugContainerRunner, missingPodRunner, outsideHostRunner, podExecRunner, prepareDebugContainer } from './probeRunners.ts'
import { cellKey, Reachability } from './reachability.ts'
import type { Opinion } from './reachability.ts'
import { REASON_SAID } from './verdict.ts'

/** Probes that never reached the network (they did not run, or had nothing to aim at): Calico has no record of them. */
const NO_CONNECTION: ReadonlySet<string> = new Set<Reason>(['tool-missing', 'exec-failed', 'image-not-pulled', 'no-pod', 'no-service'])
import type { Reason } from './verdict.ts'
import { lineText } from './wire.ts'
import type { OpinionLine, SettlingLine, SummaryLine } from './wire.ts'

/**
 * The waits before each settling round: 1 s, then 2 s, then 2 s. Felix usually programs a policy change well within
 * a second of the API server taking it; five seconds of waiting in all bound what a real disagreement costs.
 */
export const SETTLE_WAITS_MS: readonly number[] = [1000, 2000, 2000]

export interface MatrixOutput {
  stdout(text: string): void
  /** lines written by the demo server itself (which debug container was added, settling, the closing count) */
  info(text: string): void
}

export interface MatrixRunContext {
  lab: Lab
  out: MatrixOutput
  signal: AbortSignal
}

/** target id → the address of its first backend (by IP order): where an outside client aims when there is no LB. */
function backendIps(pods: readonly V1Pod[], targets: readonly MatrixTarget[]): Map<string, string> {
  const map = new Map<string, string>()
  for (const t of targets) {
    const ip = pods
      .filter((p) => p.metadata?.namespace === t.namespace && p.status?.phase === 'Running' && p.status.podIP && matchesLabelSelectorText(t.selector, p.metadata?.labels ?? {}))
      .map((p) => p.status?.podIP ?? '')
      .sort()[0]
    if (ip) map.set(t.id, ip)
  }
  return map
}

/** One ProbeRunner per row, chosen by where its probes leave from. */
function runnersFor(kc: KubeConfig, action: ProbeMatrixAction, pods: readonly V1Pod[], found: ReadonlyMap<string, V1Pod>, ctx: MatrixRunContext): Map<string, ProbeRunner> {
  const runners = new Map<string, ProbeRunner>()
  const outside = outsideHostRunner(ctx.lab, backendIps(pods, action.targets))
  for (const source of action.sources) {
    const pod = found.get(source.id)
    if (source.outside) runners.set(source.id, outside)
    else if (!source.pod || !pod?.metadata?.name) runners.set(source.id, missingPodRunner(`no Running pod matches ${source.pod?.selector ?? '?'} in namespace ${source.pod?.namespace ?? '?'}`))
    else {
      const ref = { namespace: source.pod.namespace, name: pod.metadata.name }
      runners.set(source.id, source.pod.via === 'debug'
        ? debugContainerRunner(kc, ref, prepareDebugContainer(kc, pod, action.debugImage, ctx.signal, ctx.out.info))
        : podExecRunner(kc, ref, source.pod.container ?? pod.spec?.containers[0]?.name ?? ''))
    }
  }
  return runners
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`
const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`

const decided = (v: string | undefined): boolean => v === 'allowed' || v === 'denied'

/**
 * Cells worth probing again: the probe and the engine both decided and disagree, or the probe was rejected on the path
 * (ICMP under a burst can mislead). Only the probe's own opinion counts here: it is the one a re-probe can change.
 */
function unsettled(reach: Reachability, keys: Iterable<string>): string[] {
  return [...keys].filter((key) => {
    const { expected, observed } = reach.cells.get(key)?.opinions ?? {}
    if (observed?.evidence === 'rejected-on-path') return true
    return decided(expected?.verdict) && decided(observed?.verdict) && expected?.verdict !== observed?.verdict
  })
}

export async function runMatrix(kc: KubeConfig, action: ProbeMatrixAction, ctx: MatrixRunContext): Promise<void> {
  const { out, signal } = ctx
  const t0 = performance.now()
  const since = (): number => performance.now() - t0

  // 1. the pods as they are now (required: the probes leave from them), and where each column's probes aim
  const [pods, aims] = await Promise.all([listMatrixPods(kc, action, signal), readProbeTargets(kc, action, signal)])
  signal.throwIfAborted()
  for (const note of aims.notes) out.info(`${note}\n`)
  if (aims.denyAction === 'Reject') out.info('Felix\'s deny action is Reject: a refused probe reads "denied (rejected)", not "nothing listening"\n')
  const found = sourcePods(action, pods)
  const endpoints = endpointsOf(action, new Map([...found].map(([id, p]) => [id, { namespace: p.metadata?.namespace ?? '', name: p.metadata?.name ?? '' }])))

  // 2. what the engine expects, on the policies read now: the run's first lines. The probes start meanwhile; an
  //    observation ending before the expectation is written waits for it.
  let reachability: Reachability | undefined
  const early: OpinionLine[] = []
  const write = (line: OpinionLine): void => {
    if (signal.aborted) return
    if (!reachability) return void early.push(line)
    reachability.set(line)
    out.stdout(lineText(line))
  }
  const expected = readEngineInputs(kc, action, pods, signal).then((inputs) => {
    const { header, opinions } = expectation(action, 'cluster', inputs, endpoints)
    if (signal.aborted) return
    reachability = new Reachability(header)
    out.stdout([header, ...opinions].map(lineText).join(''))
    for (const o of opinions) reachability.set(o)
    for (const line of early.splice(0)) write(line)
  })

  // 3. every probed cell through the pool, each with its row's runner
  const pool = createPool(action.concurrency)
  const runners = runnersFor(kc, action, pods, found, ctx)
  const jobs = new Map<string, ProbeJob>()
  for (const source of action.sources as MatrixSource[]) {
    for (const target of action.targets) {
      if (!probePlan(source, target).probed) continue
      const facts = aims.targets.get(target.id) ?? { port: target.port, problem: `no facts read for ${target.id}` }
      jobs.set(cellKey(source.id, target.id), { source, target, timeoutSeconds: action.probeTimeoutSeconds, facts, denyAction: aims.denyAction })
    }
  }
  const lineOf = (job: ProbeJob, o: Observation, reason = o.reason): OpinionLine => ({
    kind: 'opinion', by: 'observed', from: job.source.id, to: job.target.id, verdict: o.verdict, evidence: o.evidence,
    reason: reason.slice(0, 4000), command: o.command.slice(0, 600), raw: o.raw.trim().slice(0, 2000), ms: Math.round(o.ms),
  })
  const probe = async (job: ProbeJob): Promise<Observation | undefined> => {
    if (signal.aborted) return undefined
    return runners.get(job.source.id)!.run(job, signal)
  }
  await Promise.all([...jobs.values()].map(async (job) => {
    await runners.get(job.source.id)!.ready // a row waiting for its debug container holds no place in the pool
    const o = await pool.run(() => probe(job))
    if (o) write(lineOf(job, o))
  }))
  await expected
  signal.throwIfAborted()
  const reach = reachability!
  const firstPassMs = since()

  // 4. settling: probe the disagreeing cells again, after a wait
  const firstSeen = new Map<string, Opinion>()
  let pending = unsettled(reach, jobs.keys())
  const disagreed = pending.length
  let rounds = 0
  let agreedWithinMs: number | undefined
  for (const waitMs of SETTLE_WAITS_MS) {
    if (pending.length === 0) break
    rounds++
    for (const key of pending) if (!firstSeen.has(key)) firstSeen.set(key, reach.cells.get(key)!.opinions.observed!)
    const settling: SettlingLine = { kind: 'settling', round: rounds, waitMs, cells: pending.map((k) => ({ from: jobs.get(k)!.source.id, to: jobs.get(k)!.target.id })) }
    reach.settle(settling)
    out.stdout(lineText(settling))
    out.info(`settling: ${plural(pending.length, 'cell')} disagree${pending.length === 1 ? 's' : ''} with the expectation; probing ${pending.length === 1 ? 'it' : 'them'} again in ${seconds(waitMs)} (the dataplane may not have the policy change yet)\n`)
    await sleep(waitMs, undefined, { signal })
    await Promise.all(pending.map(async (key) => {
      const job = jobs.get(key)!
      const startedAt = since()
      const o = await pool.run(() => probe(job))
      if (!o) return
      const first = firstSeen.get(key)!.evidence as Reason
      write(lineOf(job, o, `${o.reason} — probed again ${seconds(startedAt)} into the run (settling round ${rounds}); the first probe saw: ${REASON_SAID[first]}`))
      if (unsettled(reach, [key]).length === 0) agreedWithinMs = Math.max(agreedWithinMs ?? 0, startedAt)
    }))
    signal.throwIfAborted()
    pending = unsettled(reach, pending)
  }
  const settlingMs = since() - firstPassMs
  const probesMs = since()
  /** cells whose probe changed its verdict on a re-probe → what the first probe saw (Calico recorded that too) */
  const changedWhileSettling = new Map<string, 'allowed' | 'denied'>()
  for (const [key, first] of firstSeen) {
    const last = reach.cells.get(key)?.opinions.observed?.verdict
    if ((first.verdict === 'allowed' || first.verdict === 'denied') && decided(last) && last !== first.verdict) changedWhileSettling.set(key, first.verdict)
  }

  // 5. Calico's own opinion, once per run and after settling: its flow records are then read against each cell's last
  //    probe (a newer record stands over one from before the policy change), and the window covers the re-probes
  const noConnection = new Set([...reach.cells.values()].filter((c) => NO_CONNECTION.has(c.opinions.observed?.evidence ?? '')).map((c) => c.key))
  await addCalicoOpinions(kc, action, { pods, found, t0, write, info: out.info, signal, changedWhileSettling, noConnection })

  // 6. the closing count, on the cells as they ended
  const { mismatches } = reach.compare()
  const observed = [...reach.cells.values()].flatMap((c) => (c.opinions.observed ? [c.opinions.observed] : []))
  const count = (v: OpinionLine['verdict']) => observed.filter((o) => o.verdict === v).length
  const ms = Math.round(since())
  const summary: SummaryLine = {
    kind: 'summary', probes: observed.length, allowed: count('allowed'), denied: count('denied'), errors: count('error'), mismatches: mismatches.length, concurrency: action.concurrency, ms,
    ...(disagreed > 0 ? { settling: { cells: disagreed, agreed: disagreed - pending.length, rounds, ms: Math.round(settlingMs), ...(agreedWithinMs === undefined ? {} : { agreedWithinMs: Math.round(agreedWithinMs) }) } } : {}),
  }
  reach.finish(summary)
  out.stdout(lineText(summary))
  const settled = disagreed === 0
    ? 'nothing to settle'
    : `settling took ${seconds(settlingMs)} (${plural(rounds, 'round')}): ${disagreed - pending.length} of ${disagreed} disagreeing cell${disagreed === 1 ? '' : 's'} came to agree${agreedWithinMs === undefined ? '' : `, the last on a probe ${seconds(agreedWithinMs)} into the run`}`
  out.info(`${observed.length} probes in ${seconds(probesMs)}, up to ${action.concurrency} at a time (peak ${pool.peak}); ${settled}; ${plural(summary.mismatches, 'mismatch', 'mismatches')}, ${plural(summary.errors, 'error')}\n`)
}
