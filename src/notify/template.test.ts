import { describe, expect, it } from 'vitest';
import { drainReport } from './report.fixture.ts';
import { summarize } from './summary.ts';
import { renderTemplate, TEMPLATE_PLACEHOLDERS, templateProblems } from './template.ts';

const machine = { noun: 'EC2 instance', id: 'i-0123456789abcdef0' } as const;
const summary = summarize(drainReport(), { cluster: 'prod', machine });

describe('renderTemplate', () => {
  it('fills a text template as it is, sent as text/plain', () => {
    expect(
      renderTemplate('{{node}} in {{ cluster }}: {{outcome}} ({{evicted}}/{{evictable}})', summary),
    ).toEqual({
      body: 'ip-10-0-1-23.eu-west-1.compute.internal in prod: completed (14/14)',
      contentType: 'text/plain; charset=utf-8',
    });
  });

  it('escapes values as JSON string content in a JSON template', () => {
    const node = 'a "quoted" node \\ with\na newline';
    const rendered = renderTemplate('{"node": "{{node}}"}', { ...summary, node });

    expect(rendered.contentType).toBe('application/json');
    expect(JSON.parse(rendered.body)).toEqual({ node });
  });

  it('has a value for every placeholder', () => {
    for (const name of TEMPLATE_PLACEHOLDERS) {
      expect(renderTemplate(`<{{${name}}}>`, summary).body, name).not.toContain('{{');
    }
    expect(renderTemplate('{{summary}}|{{blockedPods}}|{{deadline}}', summary).body).toBe(
      `${summary.headline}||2025-03-01T10:02:00.000Z`,
    );
  });

  it('renders missing values as empty text', () => {
    expect(
      renderTemplate('ms=({{cordonMs}}) cluster=({{cluster}})', { ...summary, cordonMs: null, cluster: null })
        .body,
    ).toBe('ms=() cluster=()');
  });

  it('tells JSON templates from text that starts with a placeholder', () => {
    expect(renderTemplate('  {"n": {{evicted}}}', summary).contentType).toBe('application/json');
    expect(renderTemplate('[{{evicted}}]', summary).contentType).toBe('application/json');
    expect(renderTemplate('{{summary}}', summary).contentType).toBe('text/plain; charset=utf-8');
  });

  it('refuses a JSON template that does not render valid JSON', () => {
    expect(() => renderTemplate('{"node": {{node}}}', summary)).toThrow(/does not render valid JSON/);
  });
});

describe('templateProblems', () => {
  it('accepts a Microsoft Teams workflow message', () => {
    expect(templateProblems('{"type":"message","text":"{{summary}}"}')).toEqual([]);
  });

  it('names unknown placeholders once each', () => {
    expect(templateProblems('{{nodeName}} {{nodeName}} {{Node}} {{node}}')).toEqual([
      'unknown placeholder {{nodeName}}, {{Node}}',
    ]);
  });

  it('finds placeholders that break JSON when text or empty', () => {
    expect(templateProblems('{"c": {{cluster}}}')).toEqual([expect.stringMatching(/valid JSON/)]);
    expect(templateProblems('{"d": {{deadline}}}')).toEqual([expect.stringMatching(/valid JSON/)]);
    expect(templateProblems('{"n": {{evicted}}, "ok": {{deadlineMet}}}')).toEqual([]);
  });
});
