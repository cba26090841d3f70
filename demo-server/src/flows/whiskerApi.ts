// whisker-backend's HTTP API as Calico v3.31.7 serves it: where it lives, how a query is written, and zod schemas
// for what it answers. zod only, no Node modules, so the deck can import the types and schemas too.
//
// Every shape below is taken from the release's own source (projectcalico/calico at v3.31.7, commit 94bd1d5b); the
// file:line references are at that tag. README.md in this folder collects the facts and why the reader goes
// through a port-forward.
//
//   path        whisker-backend/pkg/apis/v1/flows.go:32           FlowsPath = "/flows"
//   query       whisker-backend/pkg/apis/v1/flows.go:194-202      watch, startTimeGte, startTimeLt, sortBy, filters
//   filters     whisker-backend/pkg/apis/v1/flows.go:204-236      Filters / FilterMatch / PolicyMatch (JSON in the query)
//   record      whisker-backend/pkg/apis/v1/flows.go:238-272      FlowResponse / PolicyTrace / PolicyHit
//   conversion  whisker-backend/pkg/handlers/v1/protoconvert.go:105-200
//   enums       goldmane/proto/api.proto:171-176 (Action), 205-211 (MatchType), 237-256 (PolicyKind), 308-313 (Reporter);
//               JSON carries the proto enum's name (flows.go:70-72 marshalToBytes of String())
//   list body   lib/httpmachinery/pkg/apiutil/response.go:44-52   {"total":{"totalPages":N},"items":[…]}
//   errors      lib/httpmachinery/pkg/apiutil/handler.go:118-121  400 {"error":"…"} when the query does not decode;
//               lib/httpmachinery/pkg/apiutil/response.go:184-192 {"error":"Internal Server Error"} with HTTP 200
//               (the error writer never calls WriteHeader) when Goldmane fails
//   stream      lib/httpmachinery/pkg/apiutil/eventstream.go:56-80 text/event-stream, one "data: <json>\n\n" per record
import { z } from 'zod'

/** The Service and port the operator renders for Whisker (tigera/operator v1.40.15 pkg/render/whisker/component.go:182-195). */
export const WHISKER_NAMESPACE = 'calico-system'
export const WHISKER_SERVICE = 'whisker'
/** nginx in the whisker container listens here (pkg/render/whisker/nginx-v4.conf: `listen 0.0.0.0:8081`). */
export const WHISKER_PORT = 8081
/** nginx forwards /whisker-backend/* to whisker-backend on localhost:3002, stripping the prefix (nginx-v4.conf). */
export const WHISKER_BACKEND_PREFIX = '/whisker-backend'
export const FLOWS_PATH = `${WHISKER_BACKEND_PREFIX}/flows`

/** Goldmane's bucket width (goldmane/pkg/daemon/daemon.go:78 AggregationWindow default 15s; the operator sets no other). */
export const AGGREGATION_SECONDS = 15
/** How often Felix hands its flows to Goldmane (tigera/operator v1.40.15 pkg/render/node.go:1469-1471 FELIX_FLOWLOGSFLUSHINTERVAL=15). */
export const FELIX_FLUSH_SECONDS = 15

// ---- enums (proto names, as the JSON carries them) ------------------------------------------------------------

export const action = z.enum(['ActionUnspecified', 'Allow', 'Deny', 'Pass'])
export type FlowAction = z.infer<typeof action>
export const reporter = z.enum(['ReporterUnspecified', 'Src', 'Dst'])
export type Reporter = z.infer<typeof reporter>
export const policyKind = z.enum([
  'KindUnspecified',
  'CalicoNetworkPolicy',
  'GlobalNetworkPolicy',
  'StagedNetworkPolicy',
  'StagedGlobalNetworkPolicy',
  'StagedKubernetesNetworkPolicy',
  'NetworkPolicy',
  'AdminNetworkPolicy',
  'BaselineAdminNetworkPolicy',
  'Profile',
  'EndOfTier',
])
export type PolicyKind = z.infer<typeof policyKind>
export const matchType = z.enum(['Exact', 'Fuzzy'])

// ---- one flow record ------------------------------------------------------------------------------------------

/** Go's time.Time JSON (RFC 3339 with nanoseconds and a zone offset): protoconvert.go:143-144 time.Unix(sec, 0). */
const goTime = z.iso.datetime({ offset: true })

const hitFields = {
  kind: policyKind,
  name: z.string(),
  namespace: z.string(),
  tier: z.string(),
  action,
  policy_index: z.number().int(),
  rule_index: z.number().int(),
}
/**
 * The trigger of an EndOfTier hit: the policy whose selection made the tier's default action apply. The parser that
 * builds it never nests a trigger (goldmane/proto/methods.go:269-285), so its own trigger is null.
 */
export const policyTrigger = z.strictObject({ ...hitFields, trigger: z.null() })
export type PolicyTrigger = z.infer<typeof policyTrigger>
/** flows.go:263-272 PolicyHit; `trigger` is a *PolicyHit, null unless kind is EndOfTier (api.proto:457-459). */
export const policyHit = z.strictObject({ ...hitFields, trigger: policyTrigger.nullable() })
export type PolicyHit = z.infer<typeof policyHit>

/** flows.go:258-261 PolicyTrace. Both are Go nil slices when empty, so JSON null (protoconvert.go:110-121). */
export const policyTrace = z.strictObject({
  enforced: z.array(policyHit).nullable(),
  pending: z.array(policyHit).nullable(),
})

/**
 * flows.go:238-256 FlowResponse. Field notes from the code at the tag:
 * - source_name / dest_name: a pod's generateName + "*" when it has one (felix/collector/types/endpoint/endpoint.go:
 *   86-92), else its name; "PUBLIC NETWORK" / "PRIVATE NETWORK" for addresses Calico does not know
 *   (endpoint.go:70-76 + protoconvert.go:182-190; private = 10/8, 172.16/12, 192.168/16 only, endpoint.go:122-133).
 * - source_namespace / dest_namespace: passed through unconverted (protoconvert.go:148,152), "-" for networks
 *   (felix/collector/utils/utils.go:31 FieldNotIncluded).
 * - *_labels: "key=value" pairs joined with " | " (protoconvert.go:149,153), the intersection over the aggregated pods.
 * - protocol: lower case, "tcp" / "udp" / "sctp" / "icmp" (felix/collector/utils/utils.go:124-140).
 * - dest_port: the port after DNAT, i.e. the backend pod's port (felix/collector/goldmane/client.go:131 fl.Tuple.L4Dst; the Service
 *   port is kept separately in the Goldmane key but not in this JSON).
 * - reporter: "Src" = the source's node reported it (egress policy), "Dst" = the destination's node (ingress policy).
 * - policies: the reporter's direction only; enforced = the dataplane's trace (staged hits left out,
 *   felix/collector/flowlog/types.go:284-307), pending = the trace with staged policies evaluated as if enforced.
 */
export const flowRecord = z.strictObject({
  start_time: goTime,
  end_time: goTime,
  action,
  source_name: z.string(),
  source_namespace: z.string(),
  source_labels: z.string(),
  dest_name: z.string(),
  dest_namespace: z.string(),
  dest_labels: z.string(),
  protocol: z.string(),
  dest_port: z.number().int(),
  reporter,
  policies: policyTrace,
  packets_in: z.number().int(),
  packets_out: z.number().int(),
  bytes_in: z.number().int(),
  bytes_out: z.number().int(),
})
export type FlowRecord = z.infer<typeof flowRecord>

/** apiutil/response.go:44-52 List: the total is an object, items a Go slice (null when no flow matched). */
export const flowList = z.strictObject({
  total: z.strictObject({ totalPages: z.number().int() }),
  items: z.array(z.unknown()).nullable(),
})

/** apiutil/response.go:38-40 ErrorResponse. */
export const errorBody = z.strictObject({ error: z.string() })

// ---- the query ------------------------------------------------------------------------------------------------

const stringMatch = z.strictObject({ value: z.string(), type: matchType })
/** flows.go:219-228 Filters (each field ORs its values; fields AND together: goldmane/pkg/types/filters.go:55-76). */
export const filters = z.strictObject({
  source_names: z.array(stringMatch).optional(),
  source_namespaces: z.array(stringMatch).optional(),
  dest_names: z.array(stringMatch).optional(),
  dest_namespaces: z.array(stringMatch).optional(),
  protocols: z.array(stringMatch).optional(),
  dest_ports: z.array(z.strictObject({ value: z.number().int(), type: matchType })).optional(),
  actions: z.array(action).optional(),
})
export type Filters = z.infer<typeof filters>

export interface FlowsQuery {
  filters?: Filters
  /** unix seconds; 0 = oldest kept (list) or "now" (stream); negative = relative to now (api.proto:27-41, 75-81) */
  startTimeGte?: number
  /** unix seconds; list only (the stream ignores it: handlers/v1/flows.go:64-67) */
  startTimeLt?: number
  watch?: boolean
}

/**
 * The path and query for /flows. `filters` is JSON in one query parameter (flows.go:67 RegisterURLQueryJSONType);
 * the server form-decodes the query and then QueryUnescapes the value once more (lib/httpmachinery/pkg/codec/
 * decode.go:69-82), so a '%' or '+' in the JSON would be read wrongly: names and namespaces never contain them, and
 * the builder refuses them rather than send a filter the server would misread.
 */
export function flowsPath(query: FlowsQuery): string {
  const params = new URLSearchParams()
  if (query.watch) params.set('watch', 'true')
  if (query.startTimeGte !== undefined) params.set('startTimeGte', String(Math.trunc(query.startTimeGte)))
  if (query.startTimeLt !== undefined) params.set('startTimeLt', String(Math.trunc(query.startTimeLt)))
  if (query.filters && Object.keys(query.filters).length > 0) {
    const json = JSON.stringify(filters.parse(query.filters))
    if (/[%+]/.test(json)) throw new Error(`a flows filter cannot contain '%' or '+' (whisker-backend unescapes it twice): ${json}`)
    params.set('filters', json)
  }
  const text = params.toString()
  return text ? `${FLOWS_PATH}?${text}` : FLOWS_PATH
}

/** Exact-match filter values for a list of names. */
export const exact = (values: readonly string[]): Array<{ value: string; type: 'Exact' }> => values.map((value) => ({ value, type: 'Exact' as const }))

// ---- reading a record -----------------------------------------------------------------------------------------

/** "app=details | version=v1" → {app: 'details', version: 'v1'} (the format protoconvert.go:149 writes). */
export function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const pair of text.split(' | ')) {
    if (!pair) continue
    const eq = pair.indexOf('=')
    if (eq > 0) out[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  return out
}

/** Seconds since the epoch of a record's time field. */
export const unixSeconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000)
