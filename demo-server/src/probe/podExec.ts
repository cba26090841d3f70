// One short `kubectl exec` whose output is collected rather than streamed: a probe. Distinguishes "the command ran
// and exited N" from "the exec could not start" (pod gone, container not running, API refused) — the first is
// classified as allowed/denied, the second is an error cell.
import { Writable } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'
import { Exec } from '@kubernetes/client-node'
import type { KubeConfig, V1Status } from '@kubernetes/client-node'
import { describeClusterError } from '../cluster.ts'
import { exitCodeOf } from '../runner/exec.ts'

export interface CapturedExec {
  /** false: the exec never started (no socket), or the kubelet refused to run the command */
  started: boolean
  exitCode: number | undefined
  stdout: string
  stderr: string
  /** why there is no exit code */
  failure?: string
  ms: number
}

/** Output kept per probe; a probe prints a line or two, anything beyond is noise. */
const MAX_CAPTURE = 8 * 1024

function collector(): { stream: Writable; text: () => string } {
  const decoder = new StringDecoder('utf8')
  let text = ''
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (text.length < MAX_CAPTURE) text += decoder.write(chunk)
      callback()
    },
  })
  return { stream, text: () => (text + decoder.end()).slice(0, MAX_CAPTURE) }
}

export interface ExecTarget {
  namespace: string
  pod: string
  container: string
  command: string[]
}

/**
 * Runs `command` in the container and resolves when it exits, when `deadlineMs` passes (the stream is closed: an
 * error, since the command's own timeout should have ended it first) or when `signal` aborts.
 */
export function execCapture(kc: KubeConfig, target: ExecTarget, options: { deadlineMs: number; signal: AbortSignal }): Promise<CapturedExec> {
  const started = performance.now()
  const out = collector()
  const err = collector()
  let status: V1Status | undefined
  return new Promise<CapturedExec>((resolve) => {
    let settled = false
    let socket: { close(): void } | undefined
    const finish = (result: Omit<CapturedExec, 'stdout' | 'stderr' | 'ms'>): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      options.signal.removeEventListener('abort', onAbort)
      socket?.close()
      resolve({ ...result, stdout: out.text(), stderr: err.text(), ms: performance.now() - started })
    }
    const onAbort = (): void => finish({ started: socket !== undefined, exitCode: undefined, failure: 'cancelled' })
    const timer = setTimeout(
      () => finish({ started: socket !== undefined, exitCode: undefined, failure: `no exit status within ${options.deadlineMs / 1000} s (the exec itself hung)` }),
      options.deadlineMs,
    )
    if (options.signal.aborted) return onAbort()
    options.signal.addEventListener('abort', onAbort, { once: true })

    new Exec(kc)
      .exec(target.namespace, target.pod, target.container, target.command, out.stream, err.stream, null, false, (s) => {
        status = s
      })
      .then((ws) => {
        socket = ws
        if (settled) return ws.close()
        ws.on('close', () => {
          if (!status) return finish({ started: true, exitCode: undefined, failure: 'the exec stream closed before the command reported its exit status' })
          const exitCode = exitCodeOf(status)
          if (exitCode !== undefined) return finish({ started: true, exitCode })
          // a Failure without an exit code: the kubelet could not run the command (container not running, no such binary…)
          const message = status.message ?? status.reason ?? 'exec failed'
          const notFound = /executable file not found|no such file or directory/i.test(message)
          finish({ started: notFound, exitCode: notFound ? 127 : undefined, failure: message })
        })
      })
      .catch((error: unknown) => finish({ started: false, exitCode: undefined, failure: describeClusterError(error).message }))
  })
}
