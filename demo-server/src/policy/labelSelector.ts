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

export function labelSelectorToString(sel: LabelSelector): string {
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`)
  for (const e of sel.matchExpressions ?? []) {
    if (e.operator === 'Exists') parts.push(e.key)
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`)
    else parts.push(`${e.key} ${e.operator === 'In' ? 'in' : 'notin'} (${(e.values ?? []).join(',')})`)
  }
  return parts.length === 0 ? '{} (all)' : parts.join(',')
}
