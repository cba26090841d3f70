// A matrix run's output: one JSON object per stdout line of an ordinary run, so persistence, replay, late join and
// export need nothing new. The demo server writes them; <ProbeMatrix> reads them (zod only, no Node modules).
//
//   {"kind":"matrix", …}    first: rows, columns, the cells never probed, and where the expectation comes from
//   {"kind":"opinion", …}   one per cell and party: the engine's ("expected"), then each probe's ("observed") as it ends
//   {"kind":"settling", …}  cells whose probe disagreed with the expectation, probed again after a short wait (the
//                           dataplane may lag a policy change); their next observed opinion replaces the first
//   {"kind":"summary", …}   last: counts and wall time (and what settling took)
//
// Before any run, the deck shows the same lines computed offline from manifests/ (the catalog's `preview`).
import { z } from 'zod'

export const protocol = z.enum(['TCP', 'UDP', 'SCTP'])

/**
 * One party's verdict on a cell. The engine says allowed / denied, `mixed` when a Service's backends disagree, `unknown`
 * when it could not decide; a probe says allowed / denied, or `error` when the check itself failed (never "denied").
 */
export const verdict = z.enum(['allowed', 'denied', 'mixed', 'unknown', 'error'])
export type Verdict = z.infer<typeof verdict>

/** Who gives an opinion on a cell: the policy engine, or a probe. Further parties (flow logs) join this list. */
export const opinionSource = z.enum(['expected', 'observed'])
export type OpinionSource = z.infer<typeof opinionSource>

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

export const headerLine = z.strictObject({
  kind: z.literal('matrix'),
  rows: z.array(matrixRow).max(64),
  cols: z.array(matrixCol).max(32),
  /** cells that are never probed, and why */
  unprobed: z.array(z.strictObject({ from: id, to: id, note: text(300) })).max(2048),
  expected: z.strictObject({
    /** `cluster`: policies read through the API at the start of the run; `manifests`: computed from manifests/ offline */
    source: z.enum(['cluster', 'manifests']),
    computedAt: z.string(),
    /** the policies the engine used, "Kind ns/name" */
    policies: z.array(text(300)).max(500),
    /** things assumed or skipped, for the hover text */
    notes: z.array(text(600)).max(50),
  }),
})
export type HeaderLine = z.infer<typeof headerLine>

export const opinionLine = z.strictObject({
  kind: z.literal('opinion'),
  by: opinionSource,
  from: id,
  to: id,
  verdict,
  /** why: the engine's reason (per backend when a Service has several), or what the probe saw in one sentence */
  reason: text(4000),
  /** the probe's reason code (matrix/verdict.ts `reason`: connected, nothing-listening, dropped, no-endpoints…) */
  evidence: z.string().regex(/^[a-z][a-z-]{0,39}$/).optional(),
  /** the command that ran, as one would type it */
  command: text(600).optional(),
  /** what it printed (stdout + stderr, trimmed) */
  raw: text(2000).optional(),
  ms: z.number().nonnegative().optional(),
})
export type OpinionLine = z.infer<typeof opinionLine>

/** One settling round: these cells disagreed with the expectation and are probed again after `waitMs`. */
export const settlingLine = z.strictObject({
  kind: z.literal('settling'),
  round: z.number().int().positive(),
  waitMs: z.number().int().nonnegative(),
  cells: z.array(z.strictObject({ from: id, to: id })).max(2048),
})
export type SettlingLine = z.infer<typeof settlingLine>

export const summaryLine = z.strictObject({
  kind: z.literal('summary'),
  probes: z.number().int().nonnegative(),
  allowed: z.number().int().nonnegative(),
  denied: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  mismatches: z.number().int().nonnegative(),
  concurrency: z.number().int().positive(),
  ms: z.number().nonnegative(),
  /** absent when every first probe agreed with the expectation (nothing to settle) */
  settling: z.strictObject({
    /** cells that disagreed after the first pass */
    cells: z.number().int().nonnegative(),
    /** of those, how many agreed on a later probe */
    agreed: z.number().int().nonnegative(),
    rounds: z.number().int().nonnegative(),
    /** wall time from the end of the first pass to the end of the last round */
    ms: z.number().nonnegative(),
    /** from the start of the run to the start of the probe that last turned a cell to agree (the dataplane had the change by then) */
    agreedWithinMs: z.number().nonnegative().optional(),
  }).optional(),
})
export type SummaryLine = z.infer<typeof summaryLine>

export const matrixLine = z.discriminatedUnion('kind', [headerLine, opinionLine, settlingLine, summaryLine])
export type MatrixLine = z.infer<typeof matrixLine>

/** One line of text per matrix line. */
export const lineText = (line: MatrixLine): string => `${JSON.stringify(line)}\n`

/** Reads matrix lines incrementally: feed text as it arrives, a line split across chunks included. */
export class LineReader {
  /** lines that were not matrix lines (shown nowhere, counted for tests) */
  rejected = 0
  private partial = ''
  private readonly onLine: (line: MatrixLine) => void

  constructor(onLine: (line: MatrixLine) => void) {
    this.onLine = onLine
  }

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
    if (parsed.success) this.onLine(parsed.data)
    else this.rejected++
  }
}
