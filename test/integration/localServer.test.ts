/**
 * The local server on a SQLite file keeps its runs across a restart; the Web UI serves when on.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startLocalServer } from '../../src/dev/localServer';

test('a run started on a file database is still there after the server restarts; the Web UI answers', async () => {
  const dbFilename = path.join(mkdtempSync(path.join(tmpdir(), 'tp-db-')), 'temporal.db');
  const first = await startLocalServer({ dbFilename });
  let workflowId: string;
  try {
    const ui = await fetch(first.uiUrl!);
    expect(ui.status).toBe(200);
    const connection = await Connection.connect({ address: first.address });
    const client = new Client({ connection });
    // No worker polls this queue: the run stays open, which is what must survive the restart.
    const handle = await client.workflow.start('runPipeline', {
      taskQueue: 'nobody-polls',
      workflowId: `persist-${Date.now()}`,
      args: [],
    });
    workflowId = handle.workflowId;
    await connection.close();
  } finally {
    await first.stop();
  }

  const second = await startLocalServer({
    dbFilename,
    port: Number(first.address.split(':')[1]),
    uiPort: false,
  });
  try {
    const connection = await Connection.connect({ address: second.address });
    const description = await new Client({ connection }).workflow.getHandle(workflowId).describe();
    expect(description.status.name).toBe('RUNNING');
    expect(description.taskQueue).toBe('nobody-polls');
    await connection.close();
  } finally {
    await second.stop();
  }
});

test('codecEndpoint points the Web UI at a codec server', async () => {
  const server = await startLocalServer({ codecEndpoint: 'http://127.0.0.1:8888' });
  try {
    const settings = (await (await fetch(`${server.uiUrl}/api/v1/settings`)).json()) as {
      Codec: { Endpoint: string };
    };
    expect(settings.Codec.Endpoint).toBe('http://127.0.0.1:8888');
  } finally {
    await server.stop();
  }
});
