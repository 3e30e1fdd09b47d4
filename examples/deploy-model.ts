/**
 * Deploy a model: the BudAI "Pipelines SDK" guide in TypeScript, on the executions API.
 *
 * Shows
 * - your own actions (`cluster_health`, `model_add`, `deployment_create`) registered on the worker
 *   and named to the client (`connect({ actions })`) so definitions validate before they are saved;
 * - a JSON `steps` definition with declared params, `depends_on`, `retry` (the health check fails
 *   once and is retried), a `condition` gate, and a failure notification that runs only when the
 *   deploy step failed;
 * - `client.pipelines.create / get / update`, `client.executions.create({ params, tags, wait })`,
 *   the execution's steps and logs, a failing execution, `retry(id, { params, fromFailedStep })`,
 *   and `list({ pipelineId, tags })`.
 *
 * Run it
 *   npm run example:deploy
 * Starts a local Temporal server (or uses TEMPORAL_ADDRESS) and a worker in this process.
 *
 * Prints (ids vary)
 *   created pipeline deploy-model (version 1)
 *   execution deploy-model-… completed in 1.1 s
 *     health_check   completed  attempts=2
 *     add_model      completed  attempts=1
 *     deploy         completed  attempts=1
 *     notify_failure skipped    (condition false)
 *     deployment     completed  attempts=1
 *   outputs = {"deployment":{"deployment_id":"dep-llama-deployment","endpoint_url":"https://cluster-prod.example/llama-deployment"}}
 *   health_check log: step health_check started (cluster_health) | cluster cluster_prod is healthy | …
 *   slack ← Deployment llama-deployment failed: cluster cluster_full has no free GPUs
 *   execution deploy-model-… completed; deploy failed: cluster cluster_full has no free GPUs
 *   retry deploy-model-…-retry-… completed (reused: add_model)
 *   3 executions tagged customer-123          (the retry keeps its tags)
 *   platform: 6 health checks, 2 models added, 3 deployments tried
 */
import { createServer } from 'node:http';
import { z } from 'zod';
import { ApplicationFailure } from '@temporalio/common';
import { defineAction } from '../src';
import { startLocalStack } from './support/localStack';

/** A stand-in for the platform the actions would call; counts what happened. */
const platform = { healthChecks: 0, modelsAdded: 0, deployments: 0 };

const clusterHealth = defineAction({
  name: 'cluster_health',
  description: 'Checks a cluster; the first check of a run fails as a transient error.',
  params: z.object({ cluster_id: z.string() }),
  outputs: ['status', 'free_gpus'],
  run: ({ cluster_id }, ctx) => {
    platform.healthChecks += 1;
    if (ctx.attempt === 1) throw new Error(`health endpoint of ${cluster_id} timed out`);
    ctx.log.info(`cluster ${cluster_id} is healthy`);
    return Promise.resolve({ status: 'healthy', free_gpus: cluster_id === 'cluster_full' ? 0 : 8 });
  },
});

const modelAdd = defineAction({
  name: 'model_add',
  params: z.object({ model_uri: z.string(), model_source: z.enum(['hugging_face', 'url']) }),
  outputs: ['model_id'],
  run: ({ model_uri }) => {
    platform.modelsAdded += 1;
    return Promise.resolve({ model_id: `model-${model_uri.split('/').pop()!.toLowerCase()}` });
  },
});

const deploymentCreate = defineAction({
  name: 'deployment_create',
  params: z.object({
    model_id: z.string(),
    cluster_id: z.string(),
    deployment_name: z.string(),
    free_gpus: z.number().int(),
  }),
  outputs: ['deployment_id', 'endpoint_url'],
  run: ({ cluster_id, deployment_name, free_gpus }) => {
    platform.deployments += 1;
    if (free_gpus === 0) {
      throw ApplicationFailure.nonRetryable(`cluster ${cluster_id} has no free GPUs`, 'NoCapacity');
    }
    return Promise.resolve({
      deployment_id: `dep-${deployment_name}`,
      endpoint_url: `https://${cluster_id.replace(/_/g, '-')}.example/${deployment_name}`,
    });
  },
});

const definition = {
  description: 'Automated model deployment workflow',
  params: {
    model_uri: { type: 'string', default: 'meta-llama/Llama-3.2-1B-Instruct' },
    cluster_id: { type: 'string', required: true },
    deployment_name: { type: 'string', default: 'llama-deployment' },
  },
  steps: [
    {
      id: 'health_check',
      action: 'cluster_health',
      params: { cluster_id: '{{ params.cluster_id }}' },
      retry: { max_attempts: 3, backoff_multiplier: 2, initial_interval: '200ms' },
    },
    {
      id: 'add_model',
      action: 'model_add',
      params: { model_uri: '{{ params.model_uri }}', model_source: 'hugging_face' },
    },
    {
      id: 'deploy',
      action: 'deployment_create',
      params: {
        model_id: '{{ steps.add_model.output.model_id }}',
        cluster_id: '{{ params.cluster_id }}',
        deployment_name: '{{ params.deployment_name }}',
        free_gpus: '{{ steps.health_check.output.free_gpus }}',
      },
      depends_on: ['health_check'],
      condition: "steps.health_check.output.status == 'healthy'",
      allow_failure: true,
    },
    {
      id: 'notify_failure',
      action: 'notification',
      params: {
        channel: 'slack',
        message: 'Deployment {{ params.deployment_name }} failed: {{ steps.deploy.error }}',
      },
      depends_on: ['deploy'],
      condition: "steps.deploy.status == 'failed'",
    },
    {
      id: 'deployment',
      action: 'output',
      params: { value: '{{ steps.deploy.output }}' },
      depends_on: ['deploy'],
      condition: "steps.deploy.status == 'completed'",
    },
  ],
};

/** The "slack" channel: a local webhook that prints what it receives. */
async function startSlack(): Promise<{ url: string; messages: string[]; close(): void }> {
  const messages: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const { message } = JSON.parse(body || '{}') as { message?: string };
      messages.push(message ?? body);
      console.log(`slack ← ${message ?? body}`);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/hooks/slack`, messages, close: () => server.close() };
}

async function main(): Promise<void> {
  const slack = await startSlack();
  const stack = await startLocalStack({
    activities: { actions: [clusterHealth, modelAdd, deploymentCreate], webhooks: { slack: slack.url } },
  });
  try {
    const { client } = stack;
    const name = stack.pipelineName('deploy-model');

    const pipeline = await client.pipelines.get(name).catch(() => undefined);
    const saved = pipeline
      ? await client.pipelines.update({ pipelineId: name, definition: { name, ...definition } })
      : await client.pipelines.create({
          name,
          description: definition.description,
          definition: { name, ...definition },
        });
    console.log(
      `${pipeline ? 'updated' : 'created'} pipeline ${saved.name} (version ${saved.currentVersion})`,
    );

    const ok = await client.executions.create({
      pipelineId: name,
      params: { cluster_id: 'cluster_prod' },
      tags: ['production', 'customer-123'],
      wait: true,
    });
    console.log(`execution ${ok.id} ${ok.status} in ${ok.durationSeconds?.toFixed(1)} s`);
    stack.printRunLink(ok.id);
    for (const [id, step] of Object.entries(ok.steps)) {
      const extra = step.status === 'skipped' ? `(${step.skipReason})` : `attempts=${step.attempts}`;
      console.log(`  ${id.padEnd(14)} ${step.status.padEnd(10)} ${extra}`);
    }
    console.log(`outputs = ${JSON.stringify(ok.outputs)}`);
    const retried = await client.executions.logs({ executionId: ok.id, stepId: 'health_check' });
    console.log(`health_check log: ${retried.map((r) => r.message).join(' | ')}`);

    const full = await client.executions.create({
      pipelineId: name,
      params: { cluster_id: 'cluster_full' },
      tags: ['production', 'customer-123'],
      wait: true,
    });
    // deploy may fail (allow_failure): the run completes and notify_failure tells slack.
    console.log(
      `execution ${full.id} ${full.status}; deploy ${full.steps.deploy?.status}: ${full.steps.deploy?.error?.message}`,
    );

    // Retry on another cluster: steps that read cluster_id run again, add_model is reused.
    const retry = await client.executions.retry(full.id, {
      params: { cluster_id: 'cluster_prod' },
      fromFailedStep: true,
      wait: true,
    });
    const reused = Object.entries(retry.steps)
      .filter(([, step]) => step.reused)
      .map(([id]) => id);
    console.log(`retry ${retry.id} ${retry.status} (reused: ${reused.join(', ') || 'none'})`);

    let tagged = 0;
    for (let i = 0; i < 50 && tagged < 3; i++) {
      tagged = await client.executions.count({ pipelineId: name, tags: ['customer-123'] });
      if (tagged < 3) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    console.log(`${tagged} executions tagged customer-123`);
    console.log(
      `platform: ${platform.healthChecks} health checks, ${platform.modelsAdded} models added, ${platform.deployments} deployments tried`,
    );
  } finally {
    await stack.close();
    slack.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
