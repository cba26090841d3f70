// Typecheck-only view of the parts of @slidev/client the components use. Slidev ships its client as raw
// .ts sources that don't typecheck under our strict settings, so vue-tsc is pointed here instead
// (tsconfig.vue.json "paths"); at run time Vite resolves the real package.
import type { ComputedRef, Ref } from 'vue'

export type RenderContext = 'none' | 'slide' | 'overview' | 'presenter' | 'previewNext'

export interface SlideRouteView {
  no: number
  meta?: { slide?: { frontmatter?: Record<string, unknown> } }
}

export declare function useSlideContext(): {
  $renderContext: Ref<RenderContext>
  $page: Ref<number>
  $frontmatter: Record<string, unknown>
  $slidev: { configs: Record<string, unknown> }
}

export declare function useNav(): {
  isPrintMode: ComputedRef<boolean>
  isPresenter: ComputedRef<boolean>
  currentSlideNo: ComputedRef<number>
  slides: Ref<SlideRouteView[]>
  total: ComputedRef<number>
}
