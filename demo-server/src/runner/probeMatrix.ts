// A probe-matrix run: read the cluster, write the engine's expectation, then probe every cell in parallel (bounded)
// and write each observation as it finishes. Output is JSON lines on stdout (demo-server/src/probe/cells.ts), so the
// run store, replay, late join and export treat it like any other run.
//
// Where probes leave from:
//   - alpine pods: exec in the pod's own container (busybox wget / nslookup are there);
//   - bookinfo pods: an ephemeral busybox container in the pod (probe/debugContainer.ts: same network namespace,
//     same IP, same Calico endpoint, so the same policies apply);
//   - outside clients: an allow-listed host command (runner/hostCommand.ts), curl to the LoadBalancer address or a
//     pod address.
// Timeouts: each probe has a connect timeout (the action's probeTimeoutSeconds); reaching it is "denied". An exec
// that could not start, a missing pod or tool, a name that did not resolve: "error" — the check did not happen.
import type { KubeConfig, V1Pod } from '@kubernetes/client-node'
import type { Lab, MatrixSource, MatrixTarget, ProbeMatrixAction } from '../catalog/types.ts'
import { cellKey, compareCell } from '../probe/cells.ts'
import type { Evidence, ObservedLine, ObservedResult, SummaryLine } from '../probe/cells.ts'
import { classifyCurl, classifyNslookup, classifyWget, firstLine } from '../probe/classify.ts'
import type { Classified } from '../probe/classify.ts'
import { ensureDebugContainer } from '../probe/debugContainer.ts'
import type { DebugReady } from '../probe/debugContainer.ts'
import { buildExpected, listMatrixPods, matchesSelector, pickPod, probePlan, readEngineInputs } from '../probe/expected.ts'
import { execCapture } from '../probe/podExec.ts'
import { createPool } from '../probe/pool.ts'
import { outsideProbeArgv, outsideUrl, runHostCommand, shellLine } from './hostCommand.ts'
import type { Outcome, Sink } from './outcome.ts'

/** How long the exec layer may take beyond the probe's own timeout before the probe counts as hung (an error). */
const EXEC_GRACE_MS = 8000
/** How long an ephemeral container may take to start (image pull on a fresh node). */
const DEBUG_WAIT_MS = 60_000

export interface MatrixContext {
  lab: Lab
  sink: Sink
  signal: AbortSignal
}

/** The argv run in a pod for one cell (busybox tools, no shell). */
export function podProbeCommand(target: MatrixTarget, timeoutSeconds: number): string[] {
  const outer = String(timeoutSeconds + 1)
  // nslookup's own timeout flag differs between busybox releases (-timeout=N before 1.36, -t N after): `timeout` alone
  // bounds it, and the name is one that always exists, so any answer proves the DNS server was reached
  if (target.kind === 'dns') return ['timeout', String(timeoutSeconds), 'nslookup', 'kubernetes.default.svc.cluster.local']
  return ['timeout', outer, 'wget', '-q', '-T', String(timeoutSeconds), '-O', '/dev/null', `http://${target.service}.${target.namespace}.svc.cluster.local:${target.port}/`]
}

const errorCell = (evidence: Evidence, detail: string): Classified => ({ result: 'error', evidence, detail })

interface PodRow {
  source: MatrixSource
  pod: V1Pod | undefined
  /** resolves when probes may start: the container to exec in, or why they cannot */
  ready: Promise<DebugReady>
}

export async function runProbeMatrix(kc: KubeConfig, action: ProbeMatrixAction, ctx: MatrixContext): Promise<Outcome> {
  const { sink, signal } = ctx
  const t0 = performance.now()
  const T = action.probeTimeoutSeconds

  // 1. the pods as they are now (required: the probes leave from them)
  const pods = await listMatrixPods(kc, action)
  if (signal.aborted) return { status: 'cancelled' }
  const rows = new Map<string, PodRow>()
  const endpoints = new Map<string, string>()
  for (const source of action.sources) {
    if (!source.pod) continue
    const { namespace, selector, via, container } = source.pod
    const pod = pickPod(pods, namespace, selector)
    if (pod?.metadata?.name) endpoints.set(source.id, `${namespace}/${pod.metadata.name}`)
    let ready: Promise<DebugReady>
    if (!pod?.metadata?.name) ready = Promise.resolve({ ok: false, message: `no Running pod matches ${selector} in namespace ${namespace}` })
    else if (via === 'debug') ready = ensureDebugContainer(kc, pod, { image: action.debugImage, waitMs: DEBUG_WAIT_MS, signal, info: sink.info })
    else ready = Promise.resolve({ ok: true, container: container ?? pod.spec?.containers[0]?.name ?? '', added: false })
    rows.set(source.id, { source, pod, ready })
  }

  // 2. what the engine expects, on the policies read now: the run's first line. The probes start meanwhile; an
  //    observation finishing before the expectation is written waits for it.
  let expectedWritten = false
  const early: string[] = []
  const expectedReady = readEngineInputs(kc, action, pods).catch((error: unknown) => ({ problem: `the engine failed: ${String(error)}` })).then((inputs) => {
    const expected = buildExpected(action, 'cluster', inputs, endpoints)
    if (!signal.aborted) sink.stdout(`${JSON.stringify(expected)}\n`)
    expectedWritten = true
    for (const line of early.splice(0)) sink.stdout(line)
    return expected
  })

  // 3. every probed cell through the pool, in row order as each row becomes ready
  const pool = createPool(action.concurrency)
  const observed: ObservedLine[] = []
  const write = (source: MatrixSource, target: MatrixTarget, c: Classified, raw: string, command: string, ms: number): void => {
    if (signal.aborted) return
    const line: ObservedLine = {
      kind: 'observed', from: source.id, to: target.id, port: target.port, protocol: target.protocol,
      result: c.result, evidence: c.evidence, detail: c.detail.slice(0, 400), raw: raw.trim().slice(0, 2000), command: command.slice(0, 600), ms: Math.round(ms),
    }
    observed.push(line)
    const text = `${JSON.stringify(line)}\n`
    if (expectedWritten) sink.stdout(text)
    else early.push(text)
  }

  const outsideTargets = backendIps(pods, action.targets)
  const probes: Promise<void>[] = []
  for (const source of action.sources) {
    for (const target of action.targets) {
      if (!probePlan(source, target).probed) continue
      if (source.outside) {
        probes.push(pool.run(() => probeOutside(source, target, target.external ? undefined : outsideTargets.get(target.id), ctx, T, write)))
        continue
      }
      const row = rows.get(source.id)!
      probes.push(row.ready.then((ready) => {
        if (signal.aborted) return
        const command = podProbeCommand(target, T)
        const podName = row.pod?.metadata?.name ?? '?'
        const namespace = source.pod!.namespace
        if (!ready.ok) {
          const evidence: Evidence = row.pod ? 'debug-container' : 'no-pod'
          return write(source, target, errorCell(evidence, ready.message), '', `kubectl exec -n ${namespace} ${podName} -- ${shellLine(command)}`, 0)
        }
        const typed = `kubectl exec -n ${namespace} ${podName} -c ${ready.container} -- ${shellLine(command)}`
        return pool.run(async () => {
          if (signal.aborted) return
          const r = await execCapture(kc, { namespace, pod: podName, container: ready.container, command }, { deadlineMs: (T + 1) * 1000 + EXEC_GRACE_MS, signal })
          if (signal.aborted) return
          const raw = [r.stdout, r.stderr, r.failure ?? ''].filter((x) => x.trim()).join('\n')
          let c: Classified
          if (r.exitCode === undefined) c = errorCell('exec-failed', `the probe did not run: ${r.failure ?? 'no exit status'}`)
          else if (target.kind === 'dns') c = classifyNslookup({ ...r, stderr: `${r.stderr}\n${r.failure ?? ''}` }, T)
          else c = classifyWget({ ...r, stderr: `${r.stderr}\n${r.failure ?? ''}` }, T)
          write(source, target, c, raw, typed, r.ms)
        })
      }))
    }
  }
  await Promise.all(probes)
  const expected = await expectedReady
  if (signal.aborted) return { status: 'cancelled' }

  const expectedOf = new Map(expected.cells.map((c) => [cellKey(c.from, c.to), c.expected]))
  const count = (result: ObservedResult) => observed.filter((o) => o.result === result).length
  const mismatches = observed.filter((o) => compareCell(expectedOf.get(cellKey(o.from, o.to)), o) === 'mismatch').length
  const ms = Math.round(performance.now() - t0)
  const summary: SummaryLine = { kind: 'summary', probes: observed.length, allowed: count('allowed'), denied: count('denied'), errors: count('error'), mismatches, concurrency: action.concurrency, ms }
  sink.stdout(`${JSON.stringify(summary)}\n`)
  sink.info(`${observed.length} probes in ${(ms / 1000).toFixed(1)} s, up to ${action.concurrency} at a time (peak ${pool.peak}); ${mismatches} mismatch${mismatches === 1 ? '' : 'es'}, ${summary.errors} error${summary.errors === 1 ? '' : 's'}\n`)
  return { status: 'succeeded', exitCode: 0 }
}

async function probeOutside(
  source: MatrixSource,
  target: MatrixTarget,
  podIp: string | undefined,
  ctx: MatrixContext,
  T: number,
  write: (source: MatrixSource, target: MatrixTarget, c: Classified, raw: string, command: string, ms: number) => void,
): Promise<void> {
  if (ctx.signal.aborted) return
  // a target without an external address is reached at a backend pod's address (host1 learns pod routes over BGP)
  const url = outsideUrl(target, podIp)
  if (!url) return write(source, target, errorCell('no-pod', `no pod behind ${target.service}.${target.namespace} to aim at`), '', '', 0)
  const argv = outsideProbeArgv(source, ctx.lab, url, T)
  const r = await runHostCommand(argv, { timeoutMs: (T + 1) * 1000 + EXEC_GRACE_MS, signal: ctx.signal })
  if (ctx.signal.aborted) return
  const raw = [r.stdout, r.stderr, r.failure ?? ''].filter((x) => x.trim()).join('\n')
  let c: Classified
  if (!r.started) c = errorCell('exec-failed', r.failure ?? 'the host command did not start')
  else if (r.exitCode === undefined) c = errorCell('exec-failed', `the probe did not finish: ${r.failure ?? 'no exit status'}`)
  else if (hostFailed(r.exitCode, r.stderr)) c = errorCell('exec-failed', `the outside client could not be reached: ${firstLine(r.stderr)}`)
  else c = classifyCurl(r, T)
  write(source, target, c, raw, shellLine(argv), r.ms)
}

/**
 * docker / multipass failing before curl ran (no daemon, no such container, VM stopped): their own messages, and an
 * exit code curl does not use for a network outcome.
 */
function hostFailed(exitCode: number, stderr: string): boolean {
  if (/Cannot connect to the Docker daemon|Error response from daemon|No such container|is not running|does not exist|multipass/i.test(stderr)) return true
  return exitCode === 1 && !/^curl:/m.test(stderr)
}

/** target id → the address of its first backend (by IP order): where an outside client aims when there is no LB. */
function backendIps(pods: readonly V1Pod[], targets: readonly MatrixTarget[]): Map<string, string> {
  const map = new Map<string, string>()
  for (const t of targets) {
    const ip = pods
      .filter((p) => p.metadata?.namespace === t.namespace && p.status?.phase === 'Running' && p.status.podIP && matchesSelector(p.metadata?.labels ?? {}, t.selector))
      .map((p) => p.status?.podIP ?? '')
      .sort()[0]
    if (ip) map.set(t.id, ip)
  }
  return map
}
