/**
 * The search attributes runs carry (DESIGN.md decision 11); `type` as the CLI
 * spells it, `sdkType` as the SDK does. The local server registers them at
 * start; a worker adds the missing ones (src/client/searchAttributes.ts); a cluster whose workers
 * have no operator rights needs them registered once (`temporal operator search-attribute create`).
 */
export const SEARCH_ATTRIBUTES = {
  /** The pipeline's name. */
  pipelineName: { name: 'PipelineName', type: 'Keyword', sdkType: 'KEYWORD' },
  /** The pipeline version (content hash or saved version) the run pinned. */
  pipelineVersion: { name: 'PipelineVersion', type: 'Keyword', sdkType: 'KEYWORD' },
  /** The run's tags; a filter `PipelineTags = 'x'` means "has tag x". */
  tags: { name: 'PipelineTags', type: 'KeywordList', sdkType: 'KEYWORD_LIST' },
  /** Priority key 1 (highest) … 5 (lowest). */
  priority: { name: 'PipelinePriority', type: 'Int', sdkType: 'INT' },
} as const;
