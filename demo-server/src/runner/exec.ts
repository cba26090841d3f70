// `kubectl exec` through client-node: pick the pod by label selector, stream stdout and stderr apart,
// take the exit code from the status channel, close the stream on cancel.
import { Writable } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'
import { CoreV1Api, Exec } from '@kubernetes/client-node'
import type { KubeConfig, V1Pod, V1Status } from '@kubernetes/client-node'
import type { ExecAction, Params } from '../catalog/types.ts'
import { describeClusterError } from '../cluster.ts'
import type { Outcome, Sink } from './outcome.ts'

/** The first Running pod matching the selector, oldest first, so repeated runs pick the same pod. */
export async function findPod(kc: KubeConfig, namespace: string, selector: string): Promise<V1Pod | undefined> {
  const list = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector: selector })
  return list.items
    .filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp)
    .sort((a, b) => String(a.metadata?.creationTimestamp ?? '').localeCompare(String(b.metadata?.creationTimestamp ?? '')))[0]
}

/** Exit code as the kubelet reports it on channel 3 (`NonZeroExitCode` with an `ExitCode` cause). */
export function exitCodeOf(status: V1Status): number | undefined {
  if (status.status === 'Success') return 0
  if (status.reason !== 'NonZeroExitCode') return undefined
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode')
  const code = Number(cause?.message)
  return Number.isInteger(code) ? code : undefined
}

function lineWriter(write: (text: string) => void): Writable {
  const decoder = new StringDecoder('utf8') // a multi-byte character split across frames stays whole
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const text = decoder.write(chunk)
      if (text) write(text)
      callback()
    },
    final(callback) {
      const rest = decoder.end()
      if (rest) write(rest)
      callback()
    },
  })
}

export async function runExec(kc: KubeConfig, action: ExecAction, params: Params, sink: Sink, signal: AbortSignal): Promise<Outcome> {
  const pod = await findPod(kc, action.namespace, action.selector)
  if (signal.aborted) return { status: 'cancelled' }
  if (!pod?.metadata?.name) {
    return { status: 'failed', error: { kind: 'not-found', message: `no Running pod matches ${action.selector} in namespace ${action.namespace}` } }
  }
  const podName = pod.metadata.name
  const container = action.container ?? pod.spec?.containers[0]?.name ?? ''
  const command = typeof action.command === 'function' ? action.command(params) : action.command
  sink.info(`pod/${podName} (node ${pod.spec?.nodeName ?? '?'})\n`)

  let status: V1Status | undefined
  return new Promise<Outcome>((resolve) => {
    let settled = false
    let socket: { close(): void; on(event: 'close', cb: () => void): unknown } | undefined
    const settle = (outcome: Outcome) => {
      if (settled) return
      settled = true
      signal.removeEventListener('abort', onAbort)
      resolve(outcome)
    }
    const onAbort = () => {
      socket?.close() // closes the exec stream on the API server too
      settle({ status: 'cancelled' })
    }
    signal.addEventListener('abort', onAbort, { once: true })

    new Exec(kc)
      .exec(action.namespace, podName, container, command, lineWriter(sink.stdout), lineWriter(sink.stderr), null, false, (s) => {
        status = s
      })
      .then((ws) => {
        socket = ws
        if (signal.aborted) {
          ws.close()
          return
        }
        ws.on('close', () => {
          if (!status) {
            settle({ status: 'failed', error: { kind: 'stream-dropped', message: 'the exec stream closed before the command reported its exit status' } })
            return
          }
          const exitCode = exitCodeOf(status)
          if (exitCode === 0) settle({ status: 'succeeded', exitCode })
          else if (exitCode !== undefined) settle({ status: 'failed', exitCode, error: { kind: 'exit-code', message: `command exited with code ${exitCode}` } })
          else settle({ status: 'failed', error: { kind: 'api-error', message: status.message ?? status.reason ?? 'exec failed' } })
        })
      })
      .catch((error: unknown) => settle({ status: 'failed', error: describeClusterError(error) }))
  })
}
