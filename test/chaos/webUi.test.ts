/**
 * The Temporal Web UI (issue 7 item 3), in a real browser: Debian's Chromium driven headless by
 * playwright-core, against a local server's own Web UI. A finished run is found by its search
 * attributes; its page shows the static summary `<pipeline> · unsaved · <hash>`, its inputs in the
 * static details, and each node activity as `<step id> · <kind>`; a running run shows its progress
 * in "Current Details"; the runs-only list the CLI links to leaves out a saved pipeline's Running
 * registry entity. Slow (a server
 * with its UI, a browser), so it lives with the chaos tests. Needs `chromium` (`.ci/run` installs it).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { chromium, type Browser, type Page } from 'playwright-core';
import { z } from 'zod';
import { PipelineRegistry } from '../../src/client/pipelines/pipelineRegistry';
import { startPipelineRun } from '../../src/client/runs/startRun';
import { runsListUrl } from '../../src/client/webUi';
import { startLocalServer, type LocalServer } from '../../src/dev/localServer';
import { defineAction } from '../../src/model';
import { registryWorkflowId } from '../../src/protocol/messages/registryMessages';
import { createPipelineWorker } from '../../src/worker';
import { prepareChaosScratch, type ChaosScratch } from './support/chaosEnv';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const echo = defineAction({
  name: 'echo',
  params: z.object({ value: z.number() }),
  run: ({ value }) => Promise.resolve({ value }),
});

let scratch: ChaosScratch;
let server: LocalServer;
let native: NativeConnection;
let connection: Connection;
let browser: Browser | undefined;

afterAll(async () => {
  await browser?.close();
  await connection?.close();
  await native?.close();
  await server?.stop();
  scratch?.remove();
}, 60_000);

/** Waits for a frame of the page (the UI renders summaries and details in frames) holding `text`. */
async function frameText(page: Page, text: string, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let seen: string[] = [];
  while (Date.now() < deadline) {
    seen = await Promise.all(page.frames().map((frame) => frame.innerText('body').catch(() => '')));
    const hit = seen.find((t) => t.includes(text));
    if (hit !== undefined) return hit;
    await page.waitForTimeout(250);
  }
  throw new Error(
    `no frame shows "${text}"; frames show:\n${seen.map((t) => t.trim().slice(0, 300)).join('\n---\n')}`,
  );
}

test('a run is found in the Web UI by its search attributes, with its summary, node activities and progress', async () => {
  expect(existsSync(CHROMIUM)).toBe(true);
  [scratch, server] = await Promise.all([prepareChaosScratch(), startLocalServer({})]);
  native = await NativeConnection.connect({ address: server.address });
  connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  const taskQueue = `ui-${randomBytes(3).toString('hex')}`;
  const tag = `ui-${randomBytes(3).toString('hex')}`;
  const worker: Worker = await createPipelineWorker({
    connection: native,
    taskQueue,
    workflowBundle: { codePath: scratch.bundlePath },
    activities: { actions: [echo] },
  });
  const document = (pause: string) => ({
    name: 'web_ui_check',
    steps: [
      { id: 'first', action: 'echo', params: { value: 1 } },
      { id: 'pause', action: 'delay', params: { duration: pause }, depends_on: ['first'] },
      {
        id: 'second',
        action: 'echo',
        params: { value: '{{ steps.first.output.value + 1 }}' },
        depends_on: ['pause'],
      },
    ],
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  const page = await browser.newPage();

  await worker.runUntil(async () => {
    const finished = await startPipelineRun(client, document('100ms'), {
      taskQueue,
      tags: [tag],
      actions: { echo },
      inputs: { note: 'shown first' },
    });
    await finished.result();
    const version = (await (await finished.describe()).staticSummary())?.split(' · ').slice(1).join(' · ');
    expect(version).toMatch(/^unsaved · [0-9a-f]{12}$/);

    // The list, filtered by the engine's search attributes.
    const query = encodeURIComponent(`PipelineName = "web_ui_check" AND PipelineTags = "${tag}"`);
    await page.goto(`${server.uiUrl}/namespaces/${server.namespace}/workflows?query=${query}`);
    const row = page.getByRole('link', { name: finished.workflowId }).first();
    await row.waitFor({ timeout: 20_000 });
    expect(finished.workflowId).toMatch(/^web-ui-check-[0-9a-f]{12}$/);

    // Its page: the static summary, and each node activity (and the timer) by `<step> · <kind>`.
    await row.click();
    await page.getByText('Timeline').first().waitFor();
    await page.getByText('first · echo').first().waitFor({ timeout: 20_000 });
    await page.getByText('second · echo').first().waitFor();
    await page.getByText('pause · delay').first().waitFor();
    await page.getByText('User Metadata').first().click();
    await frameText(page, `web_ui_check · ${version}`);
    await frameText(page, '"note": "shown first"');

    // A run waiting in its delay: "Current Details" shows its progress and what runs.
    const waiting = await startPipelineRun(client, document('60s'), {
      taskQueue,
      tags: [tag],
      actions: { echo },
    });
    const { runId } = await waiting.describe();
    await page.goto(
      `${server.uiUrl}/namespaces/${server.namespace}/workflows/${waiting.workflowId}/${runId}/user-metadata`,
    );
    const details = await frameText(page, 'running: pause');
    expect(details).toMatch(/33% · 1 of 3 done · running: pause/);

    // The runs-only list (the link `tpipe dev` and the examples print): the saved pipeline's
    // registry entity is Running too, but only the run is listed.
    const saved = `web_ui_saved_${tag.slice(3)}`;
    await new PipelineRegistry({ temporal: client, taskQueue, actions: { echo } }).save({
      name: saved,
      definition: document('1s'),
    });
    await page.goto(`${server.uiUrl}/namespaces/${server.namespace}/workflows`);
    await page
      .getByRole('link', { name: registryWorkflowId(saved) })
      .first()
      .waitFor({ timeout: 20_000 });
    await page.goto(runsListUrl(server.uiUrl!, server.namespace));
    await page.getByRole('link', { name: waiting.workflowId }).first().waitFor({ timeout: 20_000 });
    expect(await page.getByRole('link', { name: registryWorkflowId(saved) }).count()).toBe(0);
    expect(await page.getByRole('link', { name: finished.workflowId }).count()).toBe(1);
    await waiting.terminate('web UI check done');
  });
}, 300_000);
