/** The hand-written Temporal workflow the engine is measured against: 10 sequential activity calls. */
import { proxyActivities } from '@temporalio/workflow';

const { noop } = proxyActivities<{
  noop(input: { nodeId: string; params: { i: number } }): Promise<unknown>;
}>({
  startToCloseTimeout: '1 minute',
});

export async function tenSequentialActivities(): Promise<unknown[]> {
  const results: unknown[] = [];
  for (let i = 0; i < 10; i++) results.push(await noop({ nodeId: `n${i}`, params: { i } }));
  return results;
}
