// The probe matrix's output, one JSON object per stdout line of an ordinary run (so persistence, replay, late join
// and export need nothing new). Shared by the demo server (which writes the lines) and <ProbeMatrix> (which parses
// them): zod only, no Node modules, so the deck can import it.
//
//   {"kind":"expected", ...}   first: the engine's verdict per cell, on the policies read from the cluster (or, in the
//                              catalog message before any run, on manifests/)
//   {"kind":"observed", ...}   one per probed cell, in the order the probes finish
//   {"kind":"summary", ...}    last: counts and wall time
import { z } from 'zod'

export const protocol = z.enum(['TCP', 'UDP', 'SCTP'])
/** The engine's verdict for a cell; `mixed` when a Service's backends disagree, `unknown` when it could not decide. */
export const expectedVerdict = z.enum(['allowed', 'denied', 'mixed', 'unknown'])
export type ExpectedVerdict = z.infer<typeof expectedVerdict>
/** What a probe saw. `error`: the check itself failed (never read as "denied"). */
export const observedResult = z.enum(['allowed', 'denied', 'error'])
export type ObservedResult = z.infer<typeof observedResult>
/**
 * Why a probe was classified the way it was:
 * connected / http-error (a TCP connection was made) · refused (allowed by policy, nothing listening: RST) ·
 * timeout (no answer within the connect timeout: Calico drops denied packets) · dns-answer / dns-timeout ·
 * dns-failed (the name did not resolve, so nothing was tested) · unreachable (ICMP: routing, not policy) ·
 * exec-failed / no-pod / no-tool / debug-container (the probe could not run) · unclassified.
 */
export const evidence = z.enum([
  'connected',
  'http-error',
  'refused',
  'timeout',
  'dns-answer',
  'dns-timeout',
  'dns-failed',
  'unreachable',
  'exec-failed',
  'no-pod',
  'no-tool',
  'debug-container',
  'unclassified',
])
export type Evidence = z.infer<typeof evidence>

const id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/)
const text = (max: number) => z.string().max(max)

export const matrixRow = z.strictObject({
  id,
  label: text(80),
  group: z.enum(['bookinfo', 'alpine', 'outside']),
  /** how its probes run: exec in the pod, an ephemeral debug container in the pod, or a host command */
  via: z.enum(['exec', 'debug', 'host']),
  /** the engine's name for it: "namespace/pod" or an IP ("" when no pod was found) */
  endpoint: text(300),
})
export type MatrixRow = z.infer<typeof matrixRow>

export const matrixCol = z.strictObject({
  id,
  label: text(80),
  port: z.number().int().min(1).max(65535),
  protocol,
})
export type MatrixCol = z.infer<typeof matrixCol>

export const expectedCell = z.strictObject({
  from: id,
  to: id,
  expected: expectedVerdict,
  /** the engine's reason (per backend when a Service has several) */
  reason: text(4000),
  /** false: this cell is never probed (the reason says why) */
  probed: z.boolean(),
  note: text(300).optional(),
})
export type ExpectedCell = z.infer<typeof expectedCell>

export const expectedLine = z.strictObject({
  kind: z.literal('expected'),
  /** `cluster`: policies read through the API at the start of the run; `manifests`: computed from manifests/ offline */
  source: z.enum(['cluster', 'manifests']),
  computedAt: z.string(),
  rows: z.array(matrixRow).max(64),
  cols: z.array(matrixCol).max(32),
  cells: z.array(expectedCell).max(2048),
  /** the policies the engine used, "Kind ns/name" */
  policies: z.array(text(300)).max(500),
  /** things assumed or skipped, for the hover text */
  notes: z.array(text(600)).max(50),
})
export type ExpectedLine = z.infer<typeof expectedLine>

export const observedLine = z.strictObject({
  kind: z.literal('observed'),
  from: id,
  to: id,
  port: z.number().int().min(1).max(65535),
  protocol,
  result: observedResult,
  evidence,
  /** one short sentence: "connected (HTTP 200)", "timed out after 2 s: dropped" … */
  detail: text(400),
  /** what the probe printed (stdout + stderr, trimmed) */
  raw: text(2000),
  /** the command, as one would type it */
  command: text(600),
  ms: z.number().nonnegative(),
})
export type ObservedLine = z.infer<typeof observedLine>

export const summaryLine = z.strictObject({
  kind: z.literal('summary'),
  probes: z.number().int().nonnegative(),
  allowed: z.number().int().nonnegative(),
  denied: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  mismatches: z.number().int().nonnegative(),
  concurrency: z.number().int().positive(),
  ms: z.number().nonnegative(),
})
export type SummaryLine = z.infer<typeof summaryLine>

export const matrixLine = z.discriminatedUnion('kind', [expectedLine, observedLine, summaryLine])
export type MatrixLine = z.infer<typeof matrixLine>

export const cellKey = (from: string, to: string): string => `${from}|${to}`

/** How a cell's observation compares with its expectation. */
export type CellState = 'match' | 'mismatch' | 'error' | 'pending' | 'not-probed' | 'no-expectation'

export function compareCell(expected: ExpectedVerdict | undefined, observed: ObservedLine | undefined, probed = true): CellState {
  if (!probed) return 'not-probed'
  if (!observed) return 'pending'
  if (observed.result === 'error') return 'error'
  if (expected !== 'allowed' && expected !== 'denied') return 'no-expectation'
  return observed.result === expected ? 'match' : 'mismatch'
}

/** Parses the matrix lines of a run's stdout, incrementally: feed text as it arrives. */
export class MatrixParser {
  expected: ExpectedLine | undefined
  readonly observed = new Map<string, ObservedLine>()
  summary: SummaryLine | undefined
  /** lines that were not matrix lines (shown nowhere, counted for tests) */
  rejected = 0
  private partial = ''

  feed(textChunk: string): void {
    const lines = (this.partial + textChunk).split('\n')
    this.partial = lines.pop() ?? ''
    for (const line of lines) this.line(line)
  }

  /** The last line, when the text did not end with a newline (a truncated run). */
  end(): void {
    if (this.partial) this.line(this.partial)
    this.partial = ''
  }

  private line(line: string): void {
    if (!line.trim()) return
    let json: unknown
    try {
      json = JSON.parse(line)
    } catch {
      this.rejected++
      return
    }
    const parsed = matrixLine.safeParse(json)
    if (!parsed.success) {
      this.rejected++
      return
    }
    const value = parsed.data
    if (value.kind === 'expected') this.expected = value
    else if (value.kind === 'observed') this.observed.set(cellKey(value.from, value.to), value)
    else this.summary = value
  }
}

/** Every matrix line of a finished text at once. */
export function parseMatrixText(all: string): MatrixParser {
  const parser = new MatrixParser()
  parser.feed(all)
  parser.end()
  return parser
}
