// An exec step: the pod `kubectl exec <workload>` would use (kube/pods.ts), then the command through kube/exec.ts,
// its output streamed to the run as it arrives.
import type { KubeConfig } from '@kubernetes/client-node'
import type { ExecAction, Params } from '../catalog/types.ts'
import { execInPod } from '../kube/exec.ts'
import { findExecPod } from '../kube/pods.ts'
import type { Outcome, Sink } from './outcome.ts'

export async function runExec(kc: KubeConfig, action: ExecAction, params: Params, sink: Sink, signal: AbortSignal): Promise<Outcome> {
  const found = await findExecPod(kc, action.namespace, action.target, signal)
  if (!found.ok) return { status: 'failed', error: { kind: 'not-found', message: found.message } }
  const container = action.container ?? found.pod.spec?.containers[0]?.name ?? ''
  const command = typeof action.command === 'function' ? action.command(params) : action.command
  sink.info(`pod/${found.name} (node ${found.pod.spec?.nodeName ?? '?'})\n`)
  const { end } = await execInPod(kc, { namespace: action.namespace, pod: found.name, container, command }, { signal, stdout: sink.stdout, stderr: sink.stderr })
  switch (end.kind) {
    case 'exited':
      return end.exitCode === 0
        ? { status: 'succeeded', exitCode: 0 }
        : { status: 'failed', exitCode: end.exitCode, error: { kind: 'exit-code', message: `command exited with code ${end.exitCode}` } }
    case 'refused':
      return { status: 'failed', error: { kind: 'api-error', message: end.message } }
    case 'dropped':
      return { status: 'failed', error: { kind: 'stream-dropped', message: 'the exec stream closed before the command reported its exit status' } }
    case 'unavailable':
      return { status: 'failed', error: end.error }
    case 'deadline':
    case 'aborted':
      return { status: 'cancelled' }
  }
}
