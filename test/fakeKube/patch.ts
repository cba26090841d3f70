// Patch algorithms: RFC 7386 JSON merge patch (also used, simplified, for strategic-merge and server-side apply),
// RFC 6902 JSON patch, and the FieldsV1 summary recorded in managedFields.

type Json = unknown
type JsonMap = Record<string, unknown>

export class PatchError extends Error {}

const isMap = (v: unknown): v is JsonMap => v !== null && typeof v === 'object' && !Array.isArray(v)

/** RFC 7386: maps merge recursively, null deletes, everything else (including lists) replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isMap(patch)) return structuredClone(patch)
  const out: JsonMap = isMap(target) ? { ...target } : {}
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]
    else out[k] = mergePatch(out[k], v)
  }
  return out
}

function decodePointer(pointer: string): string[] {
  if (pointer === '') return []
  if (!pointer.startsWith('/')) throw new PatchError(`invalid JSON pointer "${pointer}"`)
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
}

function parentOf(doc: Json, parts: string[]): { parent: JsonMap | Json[]; key: string } {
  let cur: Json = doc
  for (const p of parts.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(p)]
    else if (isMap(cur)) cur = cur[p]
    else cur = undefined
    if (cur === undefined) throw new PatchError(`path ${'/' + parts.join('/')} does not exist`)
  }
  if (!Array.isArray(cur) && !isMap(cur)) throw new PatchError(`path ${'/' + parts.join('/')} does not exist`)
  return { parent: cur, key: parts[parts.length - 1] ?? '' }
}

function getAt(doc: Json, parts: string[]): Json {
  let cur: Json = doc
  for (const p of parts) {
    if (Array.isArray(cur)) cur = cur[Number(p)]
    else if (isMap(cur)) cur = cur[p]
    else return undefined
  }
  return cur
}

function removeAt(doc: Json, parts: string[]): Json {
  const { parent, key } = parentOf(doc, parts)
  if (Array.isArray(parent)) {
    const i = Number(key)
    if (!(i >= 0 && i < parent.length)) throw new PatchError(`index ${key} out of range`)
    return parent.splice(i, 1)[0]
  }
  if (!(key in parent)) throw new PatchError(`path /${parts.join('/')} does not exist`)
  const old = parent[key]
  delete parent[key]
  return old
}

function addAt(doc: Json, parts: string[], value: Json, replace: boolean): Json {
  if (parts.length === 0) return value
  const { parent, key } = parentOf(doc, parts)
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : Number(key)
    if (!(i >= 0 && i <= parent.length)) throw new PatchError(`index ${key} out of range`)
    if (replace) parent[i] = value
    else parent.splice(i, 0, value)
  } else {
    if (replace && !(key in parent)) throw new PatchError(`path /${parts.join('/')} does not exist`)
    parent[key] = value
  }
  return doc
}

/** RFC 6902 JSON patch (add, remove, replace, move, copy, test). */
export function jsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw new PatchError('JSON patch must be an array of operations')
  let doc = structuredClone(target)
  for (const raw of ops) {
    if (!isMap(raw)) throw new PatchError('invalid JSON patch operation')
    const op = raw.op
    const path = decodePointer(String(raw.path ?? ''))
    switch (op) {
      case 'add':
        doc = addAt(doc, path, structuredClone(raw.value), false)
        break
      case 'replace':
        doc = addAt(doc, path, structuredClone(raw.value), true)
        break
      case 'remove':
        removeAt(doc, path)
        break
      case 'move': {
        const value = removeAt(doc, decodePointer(String(raw.from ?? '')))
        doc = addAt(doc, path, value, false)
        break
      }
      case 'copy':
        doc = addAt(doc, path, structuredClone(getAt(doc, decodePointer(String(raw.from ?? '')))), false)
        break
      case 'test':
        if (JSON.stringify(getAt(doc, path)) !== JSON.stringify(raw.value)) throw new PatchError(`test operation failed at ${raw.path}`)
        break
      default:
        throw new PatchError(`unsupported JSON patch operation "${String(op)}"`)
    }
  }
  return doc
}

/** FieldsV1 as recorded in managedFields: {"f:spec":{"f:replicas":{}}}; lists are recorded as a whole. */
export function fieldsV1(obj: Json): JsonMap {
  const out: JsonMap = {}
  if (!isMap(obj)) return out
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind') continue
    out[`f:${k}`] = isMap(v) ? fieldsV1(v) : {}
  }
  return out
}
