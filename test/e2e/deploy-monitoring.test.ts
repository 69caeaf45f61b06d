/**
 * deploy/'s monitoring: the Prometheus alert rules pass `promtool check rules` and their unit tests
 * (test/deploy/prometheus-alerts.test.yml), the scrape configuration passes `promtool check
 * config`, the Grafana dashboard is an importable dashboard whose every query is valid PromQL, and
 * every metric the rules and the dashboard use is one the agent exports.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { parse } from 'yaml';
import { createAgentMetrics } from '../../src/metrics/agent-metrics.js';
import { ensureDebianTool } from '../support/debian-tool.js';
import { makeTmpDir } from '../support/tmp.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RULES = join(ROOT, 'deploy', 'prometheus-alerts.yml');
const DASHBOARD = join(ROOT, 'deploy', 'grafana-dashboard.json');

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { uid?: string };
  gridPos?: { w: number; h: number };
  targets?: { refId: string; expr: string; datasource?: { uid?: string } }[];
}
interface Dashboard {
  __inputs: { name: string; pluginId: string }[];
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; query: { query: string } }[] };
}

const readDashboard = async () => JSON.parse(await readFile(DASHBOARD, 'utf8')) as Dashboard;

async function ruleExpressions(): Promise<string[]> {
  const doc = parse(await readFile(RULES, 'utf8')) as { groups: { rules: { expr: string }[] }[] };
  return doc.groups.flatMap((g) => g.rules.map((r) => r.expr));
}

/** Every PromQL query of the dashboard: its panels' and its variables'. */
function dashboardExpressions(d: Dashboard): string[] {
  const panels = d.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  return [...panels, ...d.templating.list.map((v) => v.query.query)];
}

/**
 * The metric names a query uses (s3ferry's own and the process metrics it exports, plus `up`);
 * `$s3ferry_job` and the like are dashboard variables, not metrics.
 */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/(?<![$\w])(s3ferry_\w+|process_\w+|nodejs_\w+|up)(?![\w(])/g)]
    .map((m) => m[1] ?? '')
    .filter((n) => n !== '');
}

/** What the agent exports: every sample name of its registry (histograms as _bucket/_sum/_count). */
function exportedNames(): Set<string> {
  const registry = new Registry();
  const metrics = createAgentMetrics({
    registry,
    events: { subscribe: () => () => undefined },
    countFiles: () => Promise.reject(new Error('not read here')),
    destinations: () => [],
    // what an agent on a SQLite journal exports too
    journalWriteTransactions: () => 0,
  });
  metrics.close();
  const names = new Set<string>();
  for (const m of registry.getMetricsAsArray()) {
    const { name, type } = m as unknown as { name: string; type: string };
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    else names.add(name);
  }
  return names;
}

describe('deploy/ monitoring', () => {
  before(async () => {
    await ensureDebianTool('promtool', 'prometheus');
  });

  it('the alert rules pass promtool check rules, and their unit tests pass', async () => {
    const check = await run('promtool', ['check', 'rules', RULES]);
    assert.match(check.stdout, /SUCCESS: 5 rules found/);
    const test = await run('promtool', ['test', 'rules', 'prometheus-alerts.test.yml'], {
      cwd: join(ROOT, 'test', 'deploy'),
    });
    assert.match(test.stdout, /SUCCESS/);
  });

  it('the scrape configuration with the rules beside it passes promtool check config', async () => {
    const tmp = await makeTmpDir('prometheus-config');
    try {
      await copyFile(join(ROOT, 'deploy', 'prometheus-scrape.yml'), join(tmp.path, 'p.yml'));
      await copyFile(RULES, join(tmp.path, 's3ferry-alerts.yml'));
      const check = await run('promtool', ['check', 'config', join(tmp.path, 'p.yml')]);
      assert.match(check.stdout, /is valid prometheus config file syntax/);
    } finally {
      await tmp.cleanup();
    }
  });

  it('the dashboard is importable: a Prometheus input, panels with ids, places and queries', async () => {
    const d = await readDashboard();
    assert.deepEqual(
      d.__inputs.map((i) => [i.name, i.pluginId]),
      [['DS_PROMETHEUS', 'prometheus']],
    );
    assert.equal(d.uid, 's3ferry-agents');
    const ids = d.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
    for (const p of d.panels) {
      assert.ok(p.gridPos !== undefined && p.gridPos.w > 0 && p.gridPos.h > 0, p.title);
      if (p.type === 'row') continue;
      assert.equal(p.datasource?.uid, '${DS_PROMETHEUS}', p.title);
      assert.ok((p.targets ?? []).length > 0, `${p.title} has a query`);
      for (const t of p.targets ?? []) assert.equal(t.datasource?.uid, '${DS_PROMETHEUS}');
    }
  });

  it("every dashboard query is valid PromQL (checked by promtool, Grafana's variables filled in)", async () => {
    const exprs = dashboardExpressions(await readDashboard())
      .filter((e) => !e.startsWith('label_values('))
      .map((e) =>
        e.replaceAll('$__rate_interval', '5m').replaceAll('$__range', '6h').replace(/\$\w+/g, '.*'),
      );
    const tmp = await makeTmpDir('dashboard-promql');
    try {
      const rules = exprs.map((expr, i) => ({ record: `dashboard:query_${String(i)}`, expr }));
      const file = join(tmp.path, 'dashboard-queries.yml');
      await writeFile(file, JSON.stringify({ groups: [{ name: 'dashboard', rules }] }));
      const check = await run('promtool', ['check', 'rules', file]);
      assert.match(check.stdout, new RegExp(`SUCCESS: ${String(exprs.length)} rules found`));
    } finally {
      await tmp.cleanup();
    }
  });

  it('every metric the rules and the dashboard use is exported by the agent', async () => {
    const exported = exportedNames();
    const used = new Set(
      [...(await ruleExpressions()), ...dashboardExpressions(await readDashboard())].flatMap(
        metricNames,
      ),
    );
    assert.ok(used.size >= 10, `found ${String(used.size)} metric names: ${[...used].join(', ')}`);
    // `up` is Prometheus's own, for every target it scrapes
    const unknown = [...used].filter((n) => n !== 'up' && !exported.has(n));
    assert.deepEqual(unknown, []);
  });

  it("the dashboard shows every one of s3ferry's own metrics", async () => {
    const used = new Set(dashboardExpressions(await readDashboard()).flatMap(metricNames));
    const own = [...exportedNames()].filter((n) => n.startsWith('s3ferry_'));
    // a histogram is shown when any of its series is
    const base = (n: string) => n.replace(/_(bucket|sum|count)$/, '');
    const shown = (n: string) => [...used].some((u) => u === n || base(u) === base(n));
    assert.deepEqual(
      own.filter((n) => !shown(n)),
      [],
    );
  });
});
