// The deck's sections as the slides see them: setup/sections.ts over Slidev's slide list.
import { computed } from 'vue'
import type { ComputedRef } from 'vue'
import { useNav } from '@slidev/client'
import { sectionsOf } from './sections.ts'
import type { SlideSection } from './sections.ts'

export function useSections(): ComputedRef<SlideSection[]> {
  const { slides } = useNav()
  return computed(() => sectionsOf(slides.value.map((s) => s.meta?.slide?.frontmatter as Record<string, unknown> | undefined)))
}
