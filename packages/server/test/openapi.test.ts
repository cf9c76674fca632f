import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { type Endpoint, EndpointExamples, Endpoints, type OperationId } from '@parley/protocol';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { sqliteBackend } from './support/backends.ts';
import { startApp, type TestApp } from './support/test-app.ts';

const tool = (path: string) => fileURLToPath(new URL(`../../../node_modules/${path}`, import.meta.url));
const redocly = tool('@redocly/cli/bin/cli.js');
const openapiTypescript = tool('openapi-typescript/bin/cli.js');
const tsc = tool('typescript/bin/tsc');

/** Runs one of the project's own tools with this Node, offline: no telemetry, no update check. */
function run(script: string, args: string[], cwd: string) {
  return spawnSync(process.execPath, [script, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 170_000,
    env: { PATH: process.env.PATH ?? '', HOME: cwd, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
  });
}

/** The main flows of a client, written against types generated from the document alone. */
const FLOWS = `import type { operations } from './api.js';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
type RequestOf<Op extends keyof operations> = operations[Op] extends { requestBody: infer R } ? Json<R> : never;
type ResponseOf<Op extends keyof operations, Status extends number = 200> = operations[Op]['responses'] extends { [S in Status]: infer R } ? Json<R> : never;
type PathOf<Op extends keyof operations> = operations[Op] extends { parameters: { path: infer P } } ? P : never;

export function flows(
  registered: ResponseOf<'register'>,
  created: ResponseOf<'createConversation'>,
  sent: ResponseOf<'sendMessage'>,
  page: ResponseOf<'listMessages'>,
  refused: ResponseOf<'sendMessage', 422>,
  limited: ResponseOf<'login', 429>,
) {
  const signUp: RequestOf<'register'> = { handle: 'alice', password: 'correct horse battery' };
  const signIn: RequestOf<'login'> = { handle: 'alice', password: 'correct horse battery' };
  const token: string = registered.accessToken;
  const group: RequestOf<'createConversation'> = { kind: 'group', title: 'Team', memberIds: ['u2'] };
  const conversation: PathOf<'sendMessage'> = { id: created.conversation.id };
  const message: RequestOf<'sendMessage'> = { clientMsgId: 'c1', text: 'hello' };
  const seq: number = sent.message.seq;
  const texts: Array<string | null> = page.messages.map((m) => m.text);
  const more: boolean = page.hasMore;
  const code: string = refused.error.code;
  const retry: unknown = limited.error.details;
  return { signUp, signIn, token, group, conversation, message, seq, texts, more, code, retry };
}
`;

/** The same types must refuse what the server refuses. */
const WRONG = `import type { operations } from './api.js';
type Send = operations['sendMessage']['requestBody']['content']['application/json'];
export const wrong: Send = { clientMsgId: 'c1', text: 42 };
`;

describe('the OpenAPI document', () => {
  let t: TestApp;
  let dir: string;
  let document: any;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-openapi-'));
    try {
      t = await startApp(sqliteBackend);
      const text = await (await fetch(`${t.url}/v1/openapi.json`)).text();
      document = JSON.parse(text);
      writeFileSync(join(dir, 'openapi.json'), text);
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      await t?.close();
      throw error;
    }
  });
  after(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes redocly lint with no errors', () => {
    const lint = run(redocly, ['lint', 'openapi.json', '--format=json'], dir);
    const report = JSON.parse(lint.stdout.slice(lint.stdout.indexOf('{')));
    const errors = (report.problems as Array<{ severity: string; ruleId: string; message: string }>).filter((problem) => problem.severity === 'error');
    assert.deepEqual(errors.map((problem) => `${problem.ruleId}: ${problem.message}`), []);
    assert.equal(lint.status, 0, lint.stderr);
  });

  it('names the server it is served from', () => {
    assert.deepEqual(document.servers, [{ url: '/', description: 'The server that serves this document' }]);
  });

  it('shows examples for the main operations, each one valid for its schema', () => {
    const examples = Object.entries(EndpointExamples) as Array<[OperationId, { body?: unknown; response?: unknown }]>;
    for (const main of ['register', 'login', 'getMe', 'createConversation', 'sendMessage', 'listMessages']) assert.ok(examples.some(([id]) => id === main), `${main} has an example`);
    for (const [operationId, example] of examples) {
      const endpoint = Endpoints[operationId] as Endpoint;
      const operation = document.paths[endpoint.path.replace(/:(\w+)/g, '{$1}')][endpoint.method.toLowerCase()];
      if (example.body !== undefined) {
        assert.ok(Compile(endpoint.body as TSchema).Check(example.body), `${operationId}: the body example matches the schema`);
        assert.deepEqual(operation.requestBody.content['application/json'].example, example.body, `${operationId}: body example in the document`);
      }
      if (example.response !== undefined) {
        assert.ok(Compile(endpoint.response as TSchema).Check(example.response), `${operationId}: the answer example matches the schema`);
        assert.deepEqual(operation.responses['200'].content['application/json'].example, example.response, `${operationId}: answer example in the document`);
      }
    }
  });

  it('generates a client (openapi-typescript) whose types check the main flows, and refuse a wrong body', () => {
    const generated = run(openapiTypescript, ['openapi.json', '--output', 'api.d.ts'], dir);
    assert.equal(generated.status, 0, generated.stderr);
    writeFileSync(join(dir, 'flows.ts'), FLOWS);
    writeFileSync(join(dir, 'wrong.ts'), WRONG);
    const options = ['--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck', 'false', '--types', ''];
    const flows = run(tsc, [...options, 'flows.ts'], dir);
    assert.equal(flows.status, 0, `${flows.stdout}${flows.stderr}`);
    const wrong = run(tsc, [...options, 'wrong.ts'], dir);
    assert.notEqual(wrong.status, 0, 'a number as message text must not type-check');
    assert.match(wrong.stdout, /wrong\.ts.*'number' is not assignable to type 'string'/s);
  });
});
