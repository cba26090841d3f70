// A probe-matrix run: read the cluster, write the engine's expectation, then probe every cell in parallel (bounded)
// and write each observation as it ends, as matrix lines (wire.ts) on stdout — so the run store, replay, late join and
// export treat it like any other run.
import type { KubeConfig, V1Pod } from '@kubernetes/client-node'
import type { MatrixSource, MatrixTarget, ProbeMatrixAction } from '../catalog/types.ts'
import type { Lab } from '../host/programs.ts'
import { matchesLabelSelectorText } from '../policy/labelSelector.ts'
import { addCalicoOpinions } from './calicoOpinion.ts'
import { listMatrixPods, readEngineInputs } from './clusterRead.ts'
import { expectation } from './expectation.ts'
import { endpointsOf, probePlan, sourcePods } from './model.ts'
import { createPool } from './pool.ts'
import type { ProbeJob, ProbeRunner } from './probe.ts'
import { debugContainerRunner, missingPodRunner, outsideHostRunner, podExecRunner, prepareDebugContainer } from './probeRunners.ts'
import { Reachability } from './reachability.ts'
import { lineText } from './wire.ts'
import type { OpinionLine, SummaryLine } from './wire.ts'

export interface MatrixOutput {
  stdout(text: string): void
  /** lines written by the demo server itself (which debug container was added, the closing count) */
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

export async function runMatrix(kc: KubeConfig, action: ProbeMatrixAction, ctx: MatrixRunContext): Promise<void> {
  const { out, signal } = ctx
  const t0 = performance.now()

  // 1. the pods as they are now (required: the probes leave from them)
  const pods = await listMatrixPods(kc, action, signal)
  signal.throwIfAborted()
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
  const jobs: ProbeJob[] = action.sources.flatMap((source: MatrixSource) =>
    action.targets.filter((target) => probePlan(source, target).probed).map((target) => ({ source, target, timeoutSeconds: action.probeTimeoutSeconds })))
  const observed: OpinionLine[] = []
  const probe = async (job: ProbeJob): Promise<void> => {
    if (signal.aborted) return
    const o = await runners.get(job.source.id)!.run(job, signal)
    const line: OpinionLine = {
      kind: 'opinion', by: 'observed', from: job.source.id, to: job.target.id, verdict: o.verdict, evidence: o.evidence,
      reason: o.reason.slice(0, 400), command: o.command.slice(0, 600), raw: o.raw.trim().slice(0, 2000), ms: Math.round(o.ms),
    }
    observed.push(line)
    write(line)
  }
  await Promise.all(jobs.map(async (job) => {
    await runners.get(job.source.id)!.ready // a row waiting for its debug container holds no place in the pool
    return pool.run(() => probe(job))
  }))
  await expected
  signal.throwIfAborted()
  await addCalicoOpinions(kc, action, { pods, found, t0, write, info: out.info, signal })

  const { mismatches } = reachability!.compare()
  const count = (v: OpinionLine['verdict']) => observed.filter((o) => o.verdict === v).length
  const ms = Math.round(performance.now() - t0)
  const summary: SummaryLine = { kind: 'summary', probes: observed.length, allowed: count('allowed'), denied: count('denied'), errors: count('error'), mismatches: mismatches.length, concurrency: action.concurrency, ms }
  out.stdout(lineText(summary))
  out.info(`${observed.length} probes in ${(ms / 1000).toFixed(1)} s, up to ${action.concurrency} at a time (peak ${pool.peak}); ${summary.mismatches} mismatch${summary.mismatches === 1 ? '' : 'es'}, ${summary.errors} error${summary.errors === 1 ? '' : 's'}\n`)
}
