// What a runner reports back: where output goes while it runs, and how the run ended.
import type { FailureKind } from '../protocol.ts'

export interface Sink {
  stdout(text: string): void
  stderr(text: string): void
  /** lines written by the demo server itself (which pod was picked, what was applied) */
  info(text: string): void
}

export interface Outcome {
  status: 'succeeded' | 'failed' | 'cancelled'
  exitCode?: number
  error?: { kind: FailureKind; message: string }
}
