// The policy engine's public API: pure functions over a cluster model and policy resources.
export { loadCase, runCase, runLoadedCase, caseFileSchema } from './caseFile.ts'
export type { CaseFile, CaseRun, LoadedCase, ReachMismatch, ReachResult } from './caseFile.ts'
export type { CompiledPolicy, Direction, PolicySet, RuleAction, TierInfo } from './compiled.ts'
export { labMatrix, modelFromManifests } from './manifests.ts'
export type { LabMatrix, ManifestModel, OutsideClients } from './manifests.ts'
export { buildModel, CaseError, PROTOCOLS } from './model.ts'
export type { ClusterModel, ModelInput, Pod, Protocol } from './model.ts'
export { compilePolicies, isPolicyResource, SUPPORTED_KINDS } from './policySet.ts'
export { evaluate, Evaluator } from './reachability.ts'
export type { DecidedBy, Decision, Probe, ProbeResult, Verdict } from './reachability.ts'
export { STAGED_KINDS } from './staged.ts'
export type { StagedKind } from './staged.ts'
export { evaluateSelector, parseSelector, SelectorError, selectorToString } from './selector.ts'
export type { SelectorNode } from './selector.ts'
export {
  compareConnectivity,
  compareTruthTables,
  connectionKey,
  printTruthTable,
  toConnectivity,
  truthTables,
} from './truthTable.ts'
export type { Connection, Connectivity, ConnectivityMismatch, TruthTable } from './truthTable.ts'
