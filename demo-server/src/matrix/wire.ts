// A matrix run's output: one JSON object per stdout line of an ordinary run, so persistence, replay, late join and
// export need nothing new. The demo server writes them; <ProbeMatrix> reads them (zod only, no Node modules).
//
//   {"kind":"matrix", …}    first: rows, columns, the cells never probed, and where the expectation comes from
//   {"kind":"opinion", …}   one per cell and party: the engine's ("expected"), then each probe's ("observed") as it ends
//   {"kind":"settling", …}  cells whose probe disagreed with the expectation, probed again after a short wait (the
//                           dataplane may lag a policy change); their next observed opinion replaces the first
//   {"kind":"opinion", …}   then Calico's own ("calico", from its flow logs) once the records have arrived, after
//                           settling, so it is read against each cell's last probe
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

/** Who gives an opinion on a cell: the policy engine, a probe, or Calico itself (its flow logs). */
export const opinionSource = z.enum(['expected', 'observed', 'calico'])
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

// ---- the structured verdicts behind an opinion, so two parties can be compared policy by policy ---------------------

/** One side of a connection as the engine decided it (policy/reachability.ts Verdict, without its prose). */
export const engineSide = z.strictObject({
  allowed: z.boolean(),
  decidedBy: z.enum(['rule', 'end-of-tier', 'profile', 'outside-cluster', 'loopback']),
  tier: text(253).optional(),
  /** the engine's policy id: "ns/name", "ns/knp.default.name", "name" (global), "ns/staged:name" */
  policy: text(300).optional(),
  /** "ingress[0]" */
  rule: text(40).optional(),
})
export type EngineSideLine = z.infer<typeof engineSide>

const engineSides = {
  /** which side's policy decided: the source's egress, the destination's ingress; both allowing → "both" */
  decidedBy: z.enum(['source', 'destination', 'both']),
  egress: engineSide,
  ingress: engineSide,
}

/**
 * The expected opinion's structure, when every backend of the target was decided the same way: which side decided,
 * and with which tier, policy and rule; `pending` is the verdict with staged policies evaluated as if enforced.
 */
export const engineView = z.strictObject({
  ...engineSides,
  pending: z.strictObject({ verdict: z.enum(['allowed', 'denied']), ...engineSides, reason: text(2000) }).optional(),
})
export type EngineView = z.infer<typeof engineView>

/** One policy hit of a flow record, readable (flows/match.ts HitView). */
export const hitLine = z.strictObject({
  kind: text(40),
  tier: text(253),
  name: text(253),
  namespace: text(63),
  action: z.enum(['Allow', 'Deny', 'Pass', 'ActionUnspecified']),
  policyIndex: z.number().int(),
  /** -1: the end of the tier */
  ruleIndex: z.number().int(),
  trigger: z.strictObject({ kind: text(40), name: text(253), namespace: text(63) }).optional(),
  /** "tier default › dev1/details › Allow (rule 0)" */
  text: text(600),
})
export type HitLine = z.infer<typeof hitLine>

const sideLine = z.strictObject({
  reporter: z.enum(['Src', 'Dst']),
  action: z.enum(['Allow', 'Deny']),
  enforced: hitLine.optional(),
  pending: z.strictObject({ action: z.enum(['Allow', 'Deny']), hit: hitLine }).optional(),
})

/** What Calico's flow logs say about a cell (flows/match.ts CellFlowResult), plus the two states before any answer. */
export const calicoView = z.strictObject({
  /** `waiting`: the records may still come; `unavailable`: flow logs could not be read (the reason says why) */
  state: z.enum(['allowed', 'denied', 'partial', 'conflict', 'ambiguous', 'no-record', 'waiting', 'unavailable']),
  decidedBy: z.enum(['source', 'destination']).optional(),
  /** the enforced hit that decided */
  enforced: hitLine.optional(),
  /** the verdict with staged policies enforced (the records' pending traces) */
  pending: z.strictObject({ verdict: z.enum(['allowed', 'denied']), decidedBy: z.enum(['source', 'destination']), hit: hitLine }).optional(),
  source: sideLine.optional(),
  destination: sideLine.optional(),
  /** the records that matched, newest first */
  records: z.array(z.strictObject({
    reporter: z.enum(['Src', 'Dst']),
    action: text(20),
    start: text(40),
    end: text(40),
    source: text(400),
    dest: text(400),
    enforced: z.array(text(600)).max(16),
    pending: z.array(text(600)).max(16),
  })).max(8),
})
export type CalicoView = z.infer<typeof calicoView>

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
  /** expected: how the engine decided, side by side */
  engine: engineView.optional(),
  /** calico: what the flow records say */
  calico: calicoView.optional(),
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
