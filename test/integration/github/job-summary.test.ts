import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tryActionsSummarySink, writeJobSummary } from '../../../src/github/job-summary.js';
import { cleanupTempDirs, tempDir } from '../../support/temp-repo.js';

afterAll(() => cleanupTempDirs());

describe('the Actions job summary sink', () => {
  it('is absent outside Actions', () => {
    expect(tryActionsSummarySink({})).toBeUndefined();
  });

  it('appends through core.summary to GITHUB_STEP_SUMMARY and caps the step at the limit', async () => {
    const file = join(tempDir(), 'step-summary.md');
    writeFileSync(file, 'earlier step output\n');
    const sink = tryActionsSummarySink({ GITHUB_STEP_SUMMARY: file });
    expect(sink).toBeDefined();
    const first = await writeJobSummary('## iris\n\n| a | b |\n', { sink: sink!, maxBytes: 400 });
    expect(first.truncated).toBe(false);
    const second = await writeJobSummary(`## mnist\n\n${'y'.repeat(400)}\n\n## more\n`, {
      sink: sink!,
      maxBytes: 400,
    });
    expect(second.truncated).toBe(true);
    const content = readFileSync(file, 'utf8');
    expect(content.startsWith('earlier step output\n## iris\n\n| a | b |\n')).toBe(true);
    expect(content).toContain('was cut');
    expect(Buffer.byteLength(content)).toBeLessThanOrEqual(400);
  });
});
