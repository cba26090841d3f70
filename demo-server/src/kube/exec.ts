// `kubectl exec` through client-node, once for every caller: stdout and stderr apart (UTF-8 kept whole across
// frames), the exit code from the status channel, and one answer for how it ended. The socket is closed whenever the
// caller stops waiting: on its signal (cancel, timeout), on a deadline, or when the command ends.
import { StringDecoder } from 'node:string_decoder'
import { Writable } from 'node:stream'
import type { KubeConfig, V1Status } from '@kubernetes/client-node'
import type { FailureKind } from '../protocol.ts'
import { abortableExec } from './clients.ts'
import { describeClusterError } from './cluster.ts'

export interface ExecTarget {
  namespace: string
  pod: string
  container: string
  command: string[]
}

/** How an exec ended. */
export type ExecEnd =
  /** the command ran and reported its exit code */
  | { kind: 'exited'; exitCode: number }
  /** the kubelet refused to run it (container not running, no such binary…); `notFound`: the binary is missing */
  | { kind: 'refused'; message: string; notFound: boolean }
  /** the stream closed without an exit status */
  | { kind: 'dropped' }
  /** no stream: the API server refused or could not be reached */
  | { kind: 'unavailable'; error: { kind: FailureKind; message: string } }
  /** no exit status within the deadline (the command's own timeout should have ended it first) */
  | { kind: 'deadline'; ms: number }
  | { kind: 'aborted' }

export interface ExecOptions {
  signal: AbortSignal
  stdout: (text: string) => void
  stderr: (text: string) => void
  /** give up (and close the stream) after this long */
  deadlineMs?: number
}

/** Exit code as the kubelet reports it on channel 3 (`NonZeroExitCode` with an `ExitCode` cause). */
export function exitCodeOf(status: V1Status): number | undefined {
  if (status.status === 'Success') return 0
  if (status.reason !== 'NonZeroExitCode') return undefined
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode')
  const code = Number(cause?.message)
  return Number.isInteger(code) ? code : undefined
}

function textWriter(write: (text: string) => void): Writable {
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

export function execInPod(kc: KubeConfig, target: ExecTarget, options: ExecOptions): Promise<{ end: ExecEnd; started: boolean }> {
  const { signal } = options
  let status: V1Status | undefined
  let started = false
  return new Promise((resolve) => {
    let settled = false
    let timer: NodeJS.Timeout | undefined
    const finish = (end: ExecEnd): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
      resolve({ end, started })
    }
    const onAbort = (): void => finish({ kind: 'aborted' })
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    // past the deadline the run goes on without this exec, and its socket is closed like a cancelled one
    const deadline = new AbortController()
    if (options.deadlineMs !== undefined) {
      const ms = options.deadlineMs
      timer = setTimeout(() => {
        finish({ kind: 'deadline', ms })
        deadline.abort()
      }, ms)
    }
    abortableExec(kc, AbortSignal.any([signal, deadline.signal]))
      .exec(target.namespace, target.pod, target.container, target.command, textWriter(options.stdout), textWriter(options.stderr), null, false, (s) => {
        status = s
      })
      .then((socket) => {
        started = true
        socket.on('close', () => {
          if (!status) return finish({ kind: 'dropped' })
          const exitCode = exitCodeOf(status)
          if (exitCode !== undefined) return finish({ kind: 'exited', exitCode })
          const message = status.message ?? status.reason ?? 'exec failed'
          finish({ kind: 'refused', message, notFound: /executable file not found|no such file or directory/i.test(message) })
        })
      })
      .catch((error: unknown) => {
        if (signal.aborted) return finish({ kind: 'aborted' })
        finish({ kind: 'unavailable', error: describeClusterError(error) })
      })
  })
}
