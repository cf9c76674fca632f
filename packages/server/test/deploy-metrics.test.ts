import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { direct, waitFor } from './support/api.ts';
import { backends } from './support/backends.ts';
import { inCi } from './support/services.ts';
import { createUser, http, scrapeMetrics, startApp, type TestApp } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

const deploy = (path: string) => fileURLToPath(new URL(`../../../deploy/${path}`, import.meta.url));
const dashboardFile = deploy('grafana/parley-dashboard.json');
const rulesFile = deploy('prometheus/alerts.yml');

/** Metric names a PromQL text mentions (the families this project and prom-client's defaults export). */
function metricNames(text: string): Set<string> {
  return new Set(text.match(/\b(?:parley|process|nodejs)_[a-z0-9_]+\b/g) ?? []);
}

/** Families of a scrape (`# TYPE name kind`), by name. */
function families(scrape: string): Map<string, string> {
  return new Map([...scrape.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((match) => [match[1]!, match[2]!]));
}

/** Whether a name used in a query is exported: a family itself, or the _bucket/_count/_sum series of a histogram. */
function exported(name: string, exportedFamilies: Map<string, string>): boolean {
  if (exportedFamilies.has(name)) return true;
  const base = name.replace(/_(bucket|count|sum)$/, '');
  return base !== name && ['histogram', 'summary'].includes(exportedFamilies.get(base) ?? '');
}

/** Sum of one sample's values over every label set matching `labels` (a regex on the label part). */
function sampleSum(scrape: string, name: string, labels = ''): number {
  let sum = 0;
  for (const match of scrape.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'gm'))) {
    if (new RegExp(labels).test(match[1] ?? '')) sum += Number(match[2]);
  }
  return sum;
}

function dashboardQueries(): string[] {
  const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8')) as { panels: Array<{ targets: Array<{ expr: string }> }>; templating: { list: Array<{ query?: unknown }> } };
  return [
    ...dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr)),
    ...dashboard.templating.list.map((variable) => (typeof variable.query === 'string' ? variable.query : '')),
  ];
}

for (const backend of backends) {
  describe(`operational metrics (${backend.name})`, () => {
    let t: TestApp;
    let scrape = '';

    before(async () => {
      // One new conversation per user, so a second one is refused: a rate-limit hit with its class.
      t = await startApp(backend, { env: { RATE_LIMIT_CONVERSATIONS_PER_USER: '1:0.001' } });
      // Traffic touching every instrumented path: HTTP, a socket connect, a send, its fan-out to another user, a close, a rate limit.
      const [alice, bob] = [await createUser(t.url), await createUser(t.url)];
      const conversation = await direct(t, alice!, bob!);
      assert.equal((await http(t.url, 'POST', '/v1/conversations', { token: alice!.token, body: { kind: 'group', title: 'one too many', memberIds: [] } })).status, 429);
      assert.equal((await http(t.url, 'GET', '/healthz')).status, 200);
      assert.equal((await fetch(`${t.url}/v1/no-such-route-here`, { method: 'POST' })).status, 404);
      const aliceSocket = await TestSocket.open(t.wsUrl, alice!.token);
      const bobSocket = await TestSocket.open(t.wsUrl, bob!.token);
      await aliceSocket.request('send', { conversationId: conversation.id, clientMsgId: 'metrics-1', text: 'measured' });
      await bobSocket.next((frame) => frame.t === 'event' && frame.event.type === 'message.created');
      bobSocket.close();
      await waitFor(async () => sampleSum(await (await scrapeMetrics(t.url)).text(), 'parley_ws_closes_total') >= 1, 'the close to be counted');
      aliceSocket.close();
      scrape = await (await scrapeMetrics(t.url)).text();
    });
    after(() => t?.close());

    it('times HTTP requests by the operation of the endpoint table and status class', () => {
      assert.ok(sampleSum(scrape, 'parley_http_request_duration_seconds_count', 'operation="getHealth",status="2xx"') >= 1);
      assert.ok(sampleSum(scrape, 'parley_http_request_duration_seconds_count', 'operation="createConversation"') >= 1, 'the conversation was created over HTTP');
      assert.ok(sampleSum(scrape, 'parley_http_request_duration_seconds_count', 'operation="unmatched",status="4xx"') >= 1, 'a request no route claimed is counted without its path');
      assert.doesNotMatch(scrape, /no-such-route-here/, 'paths never become label values');
    });

    it('times socket frames by type and outcome, a send to its publication, its fan-out, the transaction and the broker publish', () => {
      assert.ok(sampleSum(scrape, 'parley_ws_frame_duration_seconds_count', 'type="send",outcome="ack"') === 1);
      assert.ok(sampleSum(scrape, 'parley_send_to_publish_seconds_count') >= 1);
      assert.ok(sampleSum(scrape, 'parley_fanout_delay_seconds_count', 'kind="conversation"') >= 1, 'the message event reached a socket');
      assert.ok(sampleSum(scrape, 'parley_broker_receive_lag_seconds_count', 'kind="conversation"') >= 1, 'the message event came in from the broker');
      assert.ok(sampleSum(scrape, 'parley_db_query_duration_seconds_count', 'outcome="ok"') >= 3, 'statements are timed');
      assert.ok(sampleSum(scrape, 'parley_db_transaction_duration_seconds_count', 'outcome="commit"') >= 3);
      assert.ok(sampleSum(scrape, 'parley_broker_publish_seconds_count', 'outcome="ok"') >= 1);
      assert.ok(sampleSum(scrape, 'parley_ws_connect_to_ready_seconds_count') === 2, 'two sockets became ready');
      const p = sampleSum(scrape, 'parley_send_to_publish_seconds_sum');
      assert.ok(p > 0 && p < 10, `send to publish took ${p} s`);
    });

    it('exports the gauges and counters: buffered bytes, event-loop utilization, closes by code, gaps', () => {
      const kinds = families(scrape);
      for (const [name, kind] of [
        ['parley_ws_buffered_bytes', 'gauge'], ['parley_event_loop_utilization', 'gauge'], ['parley_event_loop_lag_seconds', 'gauge'],
        ['parley_ws_sessions', 'gauge'], ['parley_hub_topics', 'gauge'], ['parley_push_outbox_depth', 'gauge'], ['parley_broker_receive_lag_seconds', 'histogram'], ['parley_db_query_duration_seconds', 'histogram'], ['parley_ws_closes_total', 'counter'], ['parley_broker_gaps_total', 'counter'],
        ['parley_ws_refused_total', 'counter'], ['parley_rate_limited_total', 'counter'],
      ]) assert.equal(kinds.get(name!), kind, name);
      assert.match(scrape, /^parley_ws_buffered_bytes\{stat="max"\} \d+$/m);
      assert.match(scrape, /^parley_ws_buffered_bytes\{stat="sum"\} \d+$/m);
      // A browser-style close() without a code reaches the server as 1005 (no status).
      assert.ok(sampleSum(scrape, 'parley_ws_closes_total', 'code="1005"') >= 1, 'the client closes were counted under 1005');
      assert.doesNotMatch(scrape, /^parley_ws_closes_total\{code="(?!\d{4}"|other")/m, 'close codes are bounded label values');
      assert.equal(sampleSum(scrape, 'parley_rate_limited_total', 'class="create_conversation",rule="conversations_per_user"'), 1, 'the refused conversation, by class and rule');
      const elu = sampleSum(scrape, 'parley_event_loop_utilization');
      assert.ok(elu >= 0 && elu <= 1, `utilization ${elu}`);
    });

    it('exports every metric the Grafana dashboard and the Prometheus alert rules query', () => {
      const kinds = families(scrape);
      const used = new Set([...dashboardQueries().flatMap((query) => [...metricNames(query)]), ...metricNames(readFileSync(rulesFile, 'utf8'))]);
      assert.ok(used.size >= 15, `the dashboard and rules use ${used.size} metrics`);
      const missing = [...used].filter((name) => !exported(name, kinds));
      assert.deepEqual(missing, [], 'metrics used in deploy/ but not exported');
    });
  });
}

describe('deploy files', () => {
  it('the dashboard is Grafana JSON whose every panel has a query on the Prometheus data source variable', () => {
    const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8'));
    assert.equal(dashboard.uid, 'parley-overview');
    assert.ok(dashboard.panels.length >= 10);
    const ids = new Set<number>();
    for (const panel of dashboard.panels) {
      assert.ok(!ids.has(panel.id), `panel id ${panel.id} twice`);
      ids.add(panel.id);
      assert.equal(panel.datasource.uid, '${datasource}', panel.title);
      assert.ok(panel.targets.length > 0 && panel.targets.every((target: { expr: string }) => target.expr.length > 0), panel.title);
    }
  });

  it('the alert rules pass promtool check rules', (t) => {
    const promtool = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((path) => existsSync(path));
    if (!promtool) {
      // Never a silent pass in CI: .ci/run installs Debian's prometheus package, which ships promtool.
      if (inCi) assert.fail('promtool is not installed and CI=true');
      t.skip('promtool is not installed (apt-get install prometheus): the rules file was not checked');
      return;
    }
    const output = execFileSync(promtool, ['check', 'rules', rulesFile], { encoding: 'utf8' });
    assert.match(output, /SUCCESS: \d+ rules found/);
  });
});
