// Slidev preparser: a slide writes `<PolicyStep step="details"/>` (other attributes, e.g. height, pass through), and the step's file — declared once, in
// demo-server/src/catalog/policySteps.ts — goes into the component's slot as a `<<<` code import, so Slidev highlights
// it at build time like any code block (and the export draws it). Nothing else about the step is written on the slide.
import { policyStep } from '../demo-server/src/catalog/policySteps.ts'

const POLICY_STEP_TAG = /<PolicyStep\s+step="([a-z0-9-]+)"((?:\s+[a-z:-]+="[^"]*")*)\s*\/>/g

/** The slide's content with each `<PolicyStep step="…" [height="…"]/>` given its policy file. */
export function expandPolicySteps(content: string): string {
  return content.replace(POLICY_STEP_TAG, (tag, id: string, attributes: string) => {
    const step = policyStep(id)
    return step ? `<PolicyStep step="${id}"${attributes}>\n\n<<< @/${step.file} yaml\n\n</PolicyStep>` : tag
  })
}

export default () => [{ name: 'policy-step-files', transformSlide: async (content: string) => expandPolicySteps(content) }]
