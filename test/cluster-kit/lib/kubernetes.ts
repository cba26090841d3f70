// Kubernetes kinds against the Kubernetes OpenAPI schemas, twice:
//  - kubernetes-models (generated from the OpenAPI spec): types, enums, required fields;
//  - unknown fields: the generated validators accept extra properties, so every key is also checked against the
//    field list of @kubernetes/client-node's models (generated from the same OpenAPI spec), as the API server's
//    strict field validation does (`kubectl apply --validate=strict`).
import * as k8s from '@kubernetes/client-node'
import { Namespace } from 'kubernetes-models/v1/Namespace'
import { Pod } from 'kubernetes-models/v1/Pod'
import { Service } from 'kubernetes-models/v1/Service'
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount'
import { Deployment } from 'kubernetes-models/apps/v1/Deployment'
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole'
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding'
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role'
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding'

interface Validatable {
  validate(): void
}
type ModelClass = new (data: never) => Validatable

const KINDS: Record<string, { model: ModelClass; type: string }> = {
  'v1/Namespace': { model: Namespace as unknown as ModelClass, type: 'V1Namespace' },
  'v1/Pod': { model: Pod as unknown as ModelClass, type: 'V1Pod' },
  'v1/Service': { model: Service as unknown as ModelClass, type: 'V1Service' },
  'v1/ServiceAccount': { model: ServiceAccount as unknown as ModelClass, type: 'V1ServiceAccount' },
  'apps/v1/Deployment': { model: Deployment as unknown as ModelClass, type: 'V1Deployment' },
  'rbac.authorization.k8s.io/v1/ClusterRole': { model: ClusterRole as unknown as ModelClass, type: 'V1ClusterRole' },
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': { model: ClusterRoleBinding as unknown as ModelClass, type: 'V1ClusterRoleBinding' },
  'rbac.authorization.k8s.io/v1/Role': { model: Role as unknown as ModelClass, type: 'V1Role' },
  'rbac.authorization.k8s.io/v1/RoleBinding': { model: RoleBinding as unknown as ModelClass, type: 'V1RoleBinding' },
}

export const isKubernetesKind = (apiVersion: string, kind: string) => `${apiVersion}/${kind}` in KINDS

interface Attribute {
  baseName: string
  type: string
}
type ModelType = { getAttributeTypeMap(): Attribute[] }

function modelType(name: string): ModelType | undefined {
  const candidate = (k8s as unknown as Record<string, unknown>)[name]
  return typeof candidate === 'function' && 'getAttributeTypeMap' in candidate ? (candidate as ModelType) : undefined
}

/** Paths of fields that the OpenAPI schema does not define. */
export function unknownFields(value: unknown, type: string, path = ''): string[] {
  const array = /^Array<(.+)>$/.exec(type)
  if (array) return Array.isArray(value) ? value.flatMap((v, i) => unknownFields(v, array[1]!, `${path}[${i}]`)) : []
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type)
  if (map) {
    return value && typeof value === 'object'
      ? Object.entries(value).flatMap(([k, v]) => unknownFields(v, map[1]!, `${path}.${k}`))
      : []
  }
  const model = modelType(type)
  if (!model || !value || typeof value !== 'object' || Array.isArray(value)) return []
  const attributes = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]))
  return Object.entries(value).flatMap(([key, v]) => {
    const t = attributes.get(key)
    return t === undefined ? [`${path}.${key}`.replace(/^\./, '')] : unknownFields(v, t, `${path}.${key}`)
  })
}

/** Throws with every problem found; returns when the object is valid. */
export function validateKubernetes(obj: { apiVersion: string; kind: string }): void {
  const entry = KINDS[`${obj.apiVersion}/${obj.kind}`]
  if (!entry) throw new Error(`no Kubernetes schema wired for ${obj.apiVersion}/${obj.kind}`)
  new entry.model(obj as never).validate()
  const unknown = unknownFields(obj, entry.type)
  if (unknown.length > 0) throw new Error(`unknown field(s): ${unknown.join(', ')}`)
}
