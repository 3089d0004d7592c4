/**
 * The alert rules and the dashboard (deploy/prometheus, deploy/grafana): Prometheus's own promtool
 * checks the rules and runs their unit tests (hand-written series, alerts.test.yml); the dashboard's
 * JSON is checked for its structure and for naming only metrics progreg exports. No JSON schema of
 * Grafana's dashboards is published on a registry (@grafana/schema ships TypeScript types), so this
 * is a structural check, not a schema validation.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { clusterTools } from '../../src/cluster/tools';
import { projectRoot } from '../../src/paths';
import { EXPORTED_METRICS } from '../support/exported-metrics';
import { requireGoTools } from '../support/go-tools';

const rulesFile = path.join(projectRoot, 'deploy', 'prometheus', 'alerts.yml');
const rulesTests = path.join(projectRoot, 'deploy', 'prometheus', 'alerts.test.yml');
const dashboardFile = path.join(projectRoot, 'deploy', 'grafana', 'progreg-dashboard.json');

/** The metric names in a PromQL expression (ours all start with one of these prefixes), histogram suffixes removed. */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\b(?:temporal|progreg|http)_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, ''));
}

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  annotations: { summary: string; description: string };
}
const rules = (): Rule[] => (parse(fs.readFileSync(rulesFile, 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules);

describe('alert rules and dashboard', () => {
  it('every alert names only exported metrics, says what it means, and has a section in docs/operations.md', () => {
    const docs = fs.readFileSync(path.join(projectRoot, 'docs', 'operations.md'), 'utf8');
    const all = rules();
    assert.ok(all.length >= 9);
    for (const r of all) {
      for (const m of metricsIn(r.expr)) assert.ok(EXPORTED_METRICS.has(m), `${r.alert} names ${m}, which progreg does not export`);
      assert.ok(r.annotations.summary && r.annotations.description, r.alert);
      assert.match(docs, new RegExp(`\\*\\*${r.alert}\\*\\*`), `docs/operations.md, Alerts, lacks ${r.alert}`);
    }
  });

  it('the dashboard: panels with a place, a Prometheus query on the chosen data source, and only exported metrics; every alert figure on it', () => {
    const d = JSON.parse(fs.readFileSync(dashboardFile, 'utf8')) as {
      uid: string;
      schemaVersion: number;
      templating: { list: Array<{ name: string; type: string }> };
      panels: Array<{
        id: number;
        type: string;
        title: string;
        gridPos: Record<string, number>;
        targets: Array<{ expr: string; refId: string; datasource: { uid: string } }>;
      }>;
    };
    assert.ok(d.uid && d.schemaVersion >= 36);
    assert.ok(d.templating.list.some((v) => v.name === 'datasource' && v.type === 'datasource'));
    const ids = new Set<number>();
    const named = new Set<string>();
    for (const p of d.panels) {
      assert.ok(!ids.has(p.id), `panel id ${p.id} twice`);
      ids.add(p.id);
      assert.ok(['timeseries', 'stat'].includes(p.type), p.title);
      for (const k of ['h', 'w', 'x', 'y']) assert.equal(typeof p.gridPos[k], 'number', `${p.title} gridPos.${k}`);
      assert.ok(p.targets.length > 0, p.title);
      for (const t of p.targets) {
        assert.equal(t.datasource.uid, '${datasource}', p.title);
        const ms = metricsIn(t.expr);
        assert.ok(ms.length > 0, `${p.title}: no metric in ${t.expr}`);
        for (const m of ms) {
          assert.ok(EXPORTED_METRICS.has(m), `${p.title} names ${m}, which progreg does not export`);
          named.add(m);
        }
      }
    }
    for (const r of rules())
      for (const m of metricsIn(r.expr))
        if (m !== 'progreg_read_model_figures_failures_total') assert.ok(named.has(m), `no panel shows ${m} (alert ${r.alert})`);
  });

  describe('promtool', () => {
    before(function () {
      requireGoTools(this, ['promtool']);
    });
    const promtool = (...args: string[]) => spawnSync(clusterTools.promtool, args, { encoding: 'utf8', cwd: path.dirname(rulesFile) });

    it('check rules: the rules file is valid', () => {
      const r = promtool('check', 'rules', rulesFile);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`SUCCESS: ${rules().length} rules found`));
    });

    it('test rules: each alert fires on its situation and not below it (alerts.test.yml)', () => {
      const r = promtool('test', 'rules', rulesTests);
      assert.equal(r.status, 0, r.stdout + r.stderr);
    });

    it('test rules fails when a test expects what the rules do not do', () => {
      const broken = path.join(path.dirname(rulesTests), '.broken.test.yml');
      fs.writeFileSync(broken, fs.readFileSync(rulesTests, 'utf8').replace('eval_time: 2m\n', 'eval_time: 6m\n'));
      try {
        const r = promtool('test', 'rules', broken);
        assert.notEqual(r.status, 0, 'a wrong expectation must fail');
      } finally {
        fs.rmSync(broken);
      }
    });
  });
});
