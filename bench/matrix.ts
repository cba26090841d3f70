// The probe matrix against the fake API server: the runner (every cell at once through the worker pool) against a
// sequential loop of the same probes (what a presenter does by hand, one `kubectl exec` after the other). Exec
// latency is injected on every probe; denied probes wait out their connect timeout, as a dropped SYN does. The
// outside clients go through a stand-in `docker` (a shell script) that answers the same way.
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { reachMatrix } from '../demo-server/src/catalog/matrix.ts'
import type { ProbeMatrixAction } from '../demo-server/src/catalog/types.ts'
import { parseMatrixText } from '../demo-server/src/probe/cells.ts'
import { pickPod, probePlan, readCluster } from '../demo-server/src/probe/expected.ts'
import { execCapture } from '../demo-server/src/probe/podExec.ts'
import { outsideProbeArgv, outsideUrl, runHostCommand } from '../demo-server/src/runner/hostCommand.ts'
import { podProbeCommand, runProbeMatrix } from '../demo-server/src/runner/probeMatrix.ts'
import { startFakeKube } from '../test/fakeKube/server.ts'
import { labObjects } from '../test/support/labObjects.ts'
import { labExecHandler, labPolicies } from '../test/support/matrixLab.ts'

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
}

const TIMEOUT_S = 1
const EXEC_LATENCY_MS = 30

/** host1 reaches the LoadBalancer after the latency; everything else sleeps out the timeout and fails as curl does. */
const STAND_IN_DOCKER = `#!/bin/sh
container="$2"
eval last=\\\${$#}
if [ "$container $last" = "host1 http://198.19.48.10:80/" ]; then sleep ${EXEC_LATENCY_MS / 1000}; printf 200; exit 0; fi
sleep ${TIMEOUT_S}
echo "curl: (28) Connection timed out after ${TIMEOUT_S * 1000} milliseconds" >&2
exit 28
`

export async function benchMatrix(): Promise<MatrixFigures> {
  const bin = join(mkdtempSync(join(tmpdir(), 'bench-matrix-')), 'bin')
  mkdirSync(bin)
  writeFileSync(join(bin, 'docker'), STAND_IN_DOCKER)
  chmodSync(join(bin, 'docker'), 0o755)
  const savedPath = process.env.PATH
  process.env.PATH = `${bin}:${savedPath}`
  const fake = await startFakeKube({ objects: [...labObjects(), ...labPolicies()] })
  fake.latencyMs = 2 // every REST answer
  fake.onExec(labExecHandler({ deniedMs: TIMEOUT_S * 1000, allowedMs: EXEC_LATENCY_MS }))
  const action: ProbeMatrixAction = { ...reachMatrix, probeTimeoutSeconds: TIMEOUT_S }
  const kc = fake.kubeConfig()
  const signal = new AbortController().signal
  try {
    // parallel: the runner, as the demo server runs it (cluster read, expectation, debug containers, probes)
    const once = async (): Promise<{ seconds: number; out: string }> => {
      let out = ''
      const t0 = performance.now()
      await runProbeMatrix(kc, action, { lab: 'kind', signal, sink: { stdout: (t) => (out += t), stderr: () => {}, info: () => {} } })
      return { seconds: (performance.now() - t0) / 1000, out }
    }
    const cold = await once()
    const warm = [await once(), await once(), await once()].sort((a, b) => a.seconds - b.seconds)
    const parallelSeconds = warm[1]!.seconds
    const parsed = parseMatrixText(warm[1]!.out)

    // sequential: the same probes, one after the other (the debug containers exist by now: not counted against it)
    const { pods } = await readCluster(kc, action)
    const t1 = performance.now()
    for (const source of action.sources) {
      for (const target of action.targets) {
        if (!probePlan(source, target).probed) continue
        if (source.outside) {
          const ip = pods.find((p) => p.metadata?.namespace === target.namespace && p.metadata?.labels?.app === target.selector.split('=')[1])?.status?.podIP
          const url = outsideUrl(target, ip)!
          await runHostCommand(outsideProbeArgv(source, 'kind', url, TIMEOUT_S), { timeoutMs: 20_000, signal })
          continue
        }
        const pod = pickPod(pods, source.pod!.namespace, source.pod!.selector)!
        const container = source.pod!.via === 'debug' ? 'reach-probe' : source.pod!.container!
        await execCapture(kc, { namespace: source.pod!.namespace, pod: pod.metadata!.name!, container, command: podProbeCommand(target, TIMEOUT_S) }, { deadlineMs: 20_000, signal })
      }
    }
    const sequentialSeconds = (performance.now() - t1) / 1000
    return {
      probes: parsed.summary?.probes ?? 0,
      denied: parsed.summary?.denied ?? 0,
      timeoutSeconds: TIMEOUT_S,
      execLatencyMs: EXEC_LATENCY_MS,
      concurrency: action.concurrency,
      coldSeconds: cold.seconds,
      parallelSeconds,
      sequentialSeconds,
      mismatches: parsed.summary?.mismatches ?? -1,
    }
  } finally {
    process.env.PATH = savedPath
    await fake.close()
  }
}

if (import.meta.main) console.log(await benchMatrix())
