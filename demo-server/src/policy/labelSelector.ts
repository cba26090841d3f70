// Kubernetes metav1.LabelSelector: matchLabels AND every matchExpression; {} selects everything.
// https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#resources-that-support-set-based-requirements
import { z } from 'zod'
import type { Labels } from './selector.ts'

export const labelSelectorSchema = z
  .strictObject({
    matchLabels: z.record(z.string(), z.string()).optional(),
    matchExpressions: z
      .array(
        z.strictObject({
          key: z.string().min(1),
          operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
          values: z.array(z.string()).optional(),
        }),
      )
      .optional(),
  })
  .superRefine((sel, ctx) => {
    sel.matchExpressions?.forEach((e, i) => {
      const n = e.values?.length ?? 0
      if ((e.operator === 'In' || e.operator === 'NotIn') && n === 0) {
        ctx.addIssue({ code: 'custom', path: ['matchExpressions', i, 'values'], message: `operator ${e.operator} needs at least one value` })
      }
      if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && n > 0) {
        ctx.addIssue({ code: 'custom', path: ['matchExpressions', i, 'values'], message: `operator ${e.operator} takes no values` })
      }
    })
  })

export type LabelSelector = z.infer<typeof labelSelectorSchema>

export function matchesLabelSelector(sel: LabelSelector, labels: Labels): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    if (!Object.hasOwn(labels, k) || labels[k] !== v) return false
  }
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key)
    const value = labels[e.key]
    switch (e.operator) {
      case 'In':
        if (!has || !(e.values ?? []).includes(value as string)) return false
        break
      case 'NotIn':
        // A missing key satisfies NotIn.
        if (has && (e.values ?? []).includes(value as string)) return false
        break
      case 'Exists':
        if (!has) return false
        break
      case 'DoesNotExist':
        if (has) return false
        break
    }
  }
  return true
}


// ---- the text form: `kubectl -l`, the API's labelSelector query parameter, the catalog's selectors ---------------
// https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors: equality (=, ==, !=),
// set (in, notin) and existence (key, !key) requirements, joined by commas (AND).

export class LabelSelectorError extends Error {
  override name = 'LabelSelectorError'
}

const LABEL_KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/

/** Splits on commas that are not inside parentheses ("a in (x,y),b=c" → ["a in (x,y)", "b=c"]). */
function splitTerms(text: string): string[] {
  const terms: string[] = []
  let depth = 0
  let current = ''
  for (const ch of text) {
    if (ch === '(') depth++
    if (ch === ')') depth--
    if (ch === ',' && depth === 0) {
      terms.push(current)
      current = ''
    } else current += ch
  }
  terms.push(current)
  return terms.map((t) => t.trim()).filter((t) => t !== '')
}

/** Parses the text form into a LabelSelector (every requirement as a match expression); throws LabelSelectorError. */
export function parseLabelSelectorText(text: string): LabelSelector {
  const matchExpressions: NonNullable<LabelSelector['matchExpressions']> = []
  const key = (k: string): string => {
    if (!LABEL_KEY.test(k)) throw new LabelSelectorError(`unable to parse requirement: invalid label key "${k}" in "${text}"`)
    return k
  }
  for (const term of splitTerms(text)) {
    let m: RegExpMatchArray | null
    if ((m = term.match(/^(\S+)\s+(in|notin)\s+\((.*)\)$/))) {
      const values = (m[3] ?? '').split(',').map((v) => v.trim())
      matchExpressions.push({ key: key(m[1] ?? ''), operator: m[2] === 'in' ? 'In' : 'NotIn', values })
    } else if ((m = term.match(/^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/))) {
      matchExpressions.push({ key: key(m[1] ?? ''), operator: m[2] === '!=' ? 'NotIn' : 'In', values: [m[3] ?? ''] })
    } else if ((m = term.match(/^!\s*(\S+)$/))) {
      matchExpressions.push({ key: key(m[1] ?? ''), operator: 'DoesNotExist' })
    } else if (LABEL_KEY.test(term)) {
      matchExpressions.push({ key: term, operator: 'Exists' })
    } else {
      throw new LabelSelectorError(`unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=, gt, lt`)
    }
  }
  return { matchExpressions }
}

/** Whether `labels` match the text form, e.g. `app=reviews,version=v2` (an empty text matches everything). */
export function matchesLabelSelectorText(text: string, labels: Labels): boolean {
  return matchesLabelSelector(parseLabelSelectorText(text), labels)
}

/** A LabelSelector in the text form the API's `labelSelector` query parameter takes. */
export function labelSelectorQuery(sel: LabelSelector): string {
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`)
  for (const e of sel.matchExpressions ?? []) {
    if (e.operator === 'Exists') parts.push(e.key)
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`)
    else parts.push(`${e.key} ${e.operator === 'In' ? 'in' : 'notin'} (${(e.values ?? []).join(',')})`)
  }
  return parts.join(',')
}
