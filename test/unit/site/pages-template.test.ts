import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readWorkflowTemplate, templateFiles } from '../../../src/init/workflow-templates.js';

describe('templates/workflows/pages.yml', () => {
  it('is the pages set of ghml init, and --action-ref points its ghml checkout elsewhere', async () => {
    expect(templateFiles(['pages'])).toEqual(['pages.yml']);
    const text = await readWorkflowTemplate('pages.yml', 'acme/ghml-fork@v2.1.0');
    expect(text).toContain('repository: acme/ghml-fork # the ghml CLI');
    expect(text).toMatch(/\n\s+ref: v2\.1\.0\n/);
    expect(text).not.toContain('ghml/ghml');
  });

  it('asks only for what Pages needs and deploys with the official actions', async () => {
    const workflow = parse(await readFile('templates/workflows/pages.yml', 'utf8')) as {
      on: Record<string, unknown>;
      permissions: Record<string, string>;
      jobs: Record<string, { steps: Array<{ uses?: string; run?: string }> }>;
    };
    expect(workflow.permissions).toEqual({ contents: 'read', pages: 'write', 'id-token': 'write' });
    expect(workflow.on['push']).toEqual({ branches: ['ghml/runs'] });
    const uses = Object.values(workflow.jobs).flatMap((j) => j.steps.map((s) => s.uses ?? s.run));
    expect(uses).toContain('actions/upload-pages-artifact@v4');
    expect(uses).toContain('actions/deploy-pages@v4');
    expect(uses.some((u) => u?.includes('report build'))).toBe(true);
  });
});
