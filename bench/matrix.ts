// The probe matrix against the fake API server: the runner (every cell at once through the worker pool) against a
// sequential loop of the same probes (what a presenter does by hand, one `kubectl exec` after the other). Exec
// latency is injected on every probe; denied probes wait out their connect timeout, as a dropped SYN does. The
// outside clients go through a stand-in `docker` (a shell script) that answers the same way.
//
// Then settling: every policy in the API server, and a dataplane that lags behind them — the first denied pod probes
// still connect (as when Felix has not programmed a fresh deny yet). The run probes those cells again until they agree:
// how long that takes.
import { reachMatrix } from '../demo-server/src/catalog/matrices.ts'
import type { ProbeMatrixAction } from '../demo-server/src/catalog/types.ts'
import { listMatrixPods, readProbeTargets } from '../demo-server/src/matrix/clusterRead.ts'
import { DEBUG_CONTAINER } from '../demo-server/src/matrix/debugContainer.ts'
import { probePlan, sourcePods } from '../demo-server/src/matrix/model.ts'
import { outsideHostRunner, podExecRunner } from '../demo-server/src/matrix/probeRunners.ts'
import { readMatrix } from '../demo-server/src/matrix/reachability.ts'
import { runMatrix, SETTLE_WAITS_MS } from '../demo-server/src/matrix/run.ts'
import { startFakeKube } from '../test/fakeKube/server.ts'
import { labObjects } from '../test/support/labObjects.ts'
import { allowedScript, labExecHandler, labPolicies, standInDocker } from '../test/support/matrixLab.ts'

export interface MatrixFigures {
  probes: number
  denied: number
  timeoutSeconds: number
  execLatencyMs: number
  concurrency: number
  /** the first run of a fresh process (cold JIT, debug containers added) */
  coldSeconds: number
  /** median of three runs after it */
  parallelSeconds: number
  sequentialSeconds: number
  mismatches: number
  settling: SettlingFigures
}

export interface SettlingFigures {
  /** probes of the cells a fresh deny closes that still connect (Felix not programmed yet) */
  lagProbes: number
  /** cells that disagreed after the first pass, and how many agreed later */
  cells: number
  agreed: number
  rounds: number
  /** the settling rounds' wall time, and the whole run's */
  settlingSeconds: number
  runSeconds: number
  mismatches: number
}

const TIMEOUT_S = 1
const EXEC_LATENCY_MS = 30
/** denied pod probes that connect anyway before the dataplane catches up */
const LAG_PROBES = 12

export async function benchMatrix(): Promise<MatrixFigures> {
  const savedPath = process.env.PATH
  process.env.PATH = `${standInDocker({ allowedSeconds: EXEC_LATENCY_MS / 1000, deniedSeconds: TIMEOUT_S })}:${savedPath}`
  const fake = await startFakeKube({ objects: [...labObjects(), ...labPolicies()] })
  fake.latencyMs = 2 // every REST answer
  fake.onExec(labExecHandler({ deniedMs: TIMEOUT_S * 1000, allowedMs: EXEC_LATENCY_MS }))
  const action: ProbeMatrixAction = { ...reachMatrix, probeTimeoutSeconds: TIMEOUT_S }
  const kc = fake.kubeConfig()
  const signal = new AbortController().signal
  const run = async (kc = fake.kubeConfig()): Promise<{ seconds: number; out: string }> => {
    let out = ''
    const t0 = performance.now()
    await runMatrix(kc, action, { lab: 'kind', signal, out: { stdout: (t) => (out += t), info: () => {} } })
    return { seconds: (performance.now() - t0) / 1000, out }
  }
  try {
    // parallel: the runner, as the demo server runs it (cluster read, expectation, debug containers, probes)
    const once = () => run(kc)
    const cold = await once()
    const warm = [await once(), await once(), await once()].sort((a, b) => a.seconds - b.seconds)
    const parallelSeconds = warm[1]!.seconds
    const parsed = readMatrix(warm[1]!.out).reachability?.summary

    // sequential: the same probes through the same runners, one after the other (the debug containers exist by now)
    const pods = await listMatrixPods(kc, action, signal)
    const aims = await readProbeTargets(kc, action, signal)
    const found = sourcePods(action, pods)
    const outside = outsideHostRunner('kind', new Map(action.targets.flatMap((t) => {
      const ip = pods.find((p) => p.metadata?.namespace === t.namespace && p.metadata?.labels?.app === t.selector.split('=')[1])?.status?.podIP
      return ip ? [[t.id, ip] as const] : []
    })))
    const t1 = performance.now()
    for (const source of action.sources) {
      const pod = found.get(source.id)
      const runner = source.outside
        ? outside
        : podExecRunner(kc, { namespace: source.pod!.namespace, name: pod!.metadata!.name! }, source.pod!.via === 'debug' ? DEBUG_CONTAINER : source.pod!.container!)
      for (const target of action.targets) {
        if (probePlan(source, target).probed) await runner.run({ source, target, timeoutSeconds: TIMEOUT_S, facts: aims.targets.get(target.id)!, denyAction: aims.denyAction }, signal)
      }
    }
    const sequentialSeconds = (performance.now() - t1) / 1000

    // settling: the first LAG_PROBES probes the policies deny connect anyway
    let lagLeft = LAG_PROBES
    fake.onExec((req) => {
      const script = labExecHandler({ deniedMs: TIMEOUT_S * 1000, allowedMs: EXEC_LATENCY_MS })(req)
      if (script.exitCode !== 0 && lagLeft > 0) {
        lagLeft--
        return allowedScript(req, EXEC_LATENCY_MS)
      }
      return script
    })
    const settled = await run(kc)
    const summary = readMatrix(settled.out).reachability?.summary
    return {
      probes: parsed?.probes ?? 0,
      denied: parsed?.denied ?? 0,
      timeoutSeconds: TIMEOUT_S,
      execLatencyMs: EXEC_LATENCY_MS,
      concurrency: action.concurrency,
      coldSeconds: cold.seconds,
      parallelSeconds,
      sequentialSeconds,
      mismatches: parsed?.mismatches ?? -1,
      settling: {
        lagProbes: LAG_PROBES,
        cells: summary?.settling?.cells ?? 0,
        agreed: summary?.settling?.agreed ?? 0,
        rounds: summary?.settling?.rounds ?? 0,
        settlingSeconds: (summary?.settling?.ms ?? 0) / 1000,
        runSeconds: settled.seconds,
        mismatches: summary?.mismatches ?? -1,
      },
    }
  } finally {
    process.env.PATH = savedPath
    await fake.close()
  }
}

/** The settling rows `npm run bench` prints under the matrix's. */
export function matrixDetailRows(m: MatrixFigures): Array<[string, string, string]> {
  const s = m.settling
  return [
    [`settling: a lagging dataplane (${s.lagProbes} denied probes still connect)`, `${s.agreed}/${s.cells} cells`, 'all agree'],
    [`  settling rounds (waits ${SETTLE_WAITS_MS.map((w) => w / 1000).join(' + ')} s at most)`, `${s.settlingSeconds.toFixed(2)} s`, '—'],
    ['  whole run, settling included', `${s.runSeconds.toFixed(2)} s`, '—'],
    ['  mismatches left', String(s.mismatches), '0'],
  ]
}

if (import.meta.main) console.log(await benchMatrix())
