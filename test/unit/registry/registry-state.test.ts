import { describe, expect, it } from 'vitest';
import { buildRegistryState } from '../../../src/registry/registry-state.js';
import type { TagRecord } from '../../../src/registry/registry-state.js';
import { formatTagMessage } from '../../../src/registry/tags/tag-message.js';

const C1 = '1'.repeat(40);
const C2 = '2'.repeat(40);
const C3 = '3'.repeat(40);

function rec(tag: string, commit: string, date: number, extra: Partial<TagRecord> = {}): TagRecord {
  return {
    tag,
    annotated: true,
    commit,
    object: 'f'.repeat(40),
    taggerName: 'Ann',
    taggerEmail: 'ann@example.com',
    date,
    message: `${tag}\n`,
    ...extra,
  };
}

const BASE = [
  rec('churn@v1.0.0', C1, 100),
  rec('churn@v1.1.0', C2, 200),
  rec('churn@v2.0.0', C3, 300),
  rec('other@v0.0.1', C1, 100),
];

describe('buildRegistryState', () => {
  it('lists versions highest first and picks latest', () => {
    const state = buildRegistryState(BASE);
    expect(state.models.map((m) => m.name)).toEqual(['churn', 'other']);
    const churn = state.models[0];
    expect(churn?.versions.map((v) => v.version)).toEqual(['v2.0.0', 'v1.1.0', 'v1.0.0']);
    expect(churn?.latest?.version).toBe('v2.0.0');
    expect(churn?.latest?.registered.author).toBe('Ann');
  });

  it('skips deregistered versions for latest', () => {
    const state = buildRegistryState([...BASE, rec('churn@v2.0.0!', C3, 400)]);
    const churn = state.models[0];
    expect(churn?.latest?.version).toBe('v1.1.0');
    expect(churn?.versions[0]).toMatchObject({ version: 'v2.0.0', active: false });
    expect(churn?.versions[0]?.deregistered?.tag).toBe('churn@v2.0.0!');
  });

  it('resolves a stage: latest assignment wins, by date then counter', () => {
    const records = [
      ...BASE,
      rec('churn#prod#1', C3, 400),
      rec('churn#prod#2', C1, 500),
      rec('churn#staging#4', C2, 600),
      rec('churn#staging#3', C3, 600),
    ];
    const churn = buildRegistryState(records).models[0];
    const prod = churn?.stages.find((s) => s.stage === 'prod');
    expect(prod?.current?.version).toBe('v1.0.0');
    expect(prod?.history.map((e) => e.tag)).toEqual(['churn#prod#1', 'churn#prod#2']);
    // Same second: the higher counter wins.
    expect(churn?.stages.find((s) => s.stage === 'staging')?.current?.version).toBe('v1.1.0');
    expect(churn?.highestCounter).toBe(4);
    expect(churn?.versions.find((v) => v.version === 'v1.0.0')?.stages).toEqual(['prod']);
  });

  it("with sort 'semver' picks the highest assigned version", () => {
    const records = [...BASE, rec('churn#prod#1', C3, 400), rec('churn#prod#2', C1, 500)];
    const churn = buildRegistryState(records, { sort: 'semver' }).models[0];
    expect(churn?.stages.find((s) => s.stage === 'prod')?.current?.version).toBe('v2.0.0');
  });

  it('an unassignment removes that version; the stage falls back to the previous holder', () => {
    const records = [
      ...BASE,
      rec('churn#prod#1', C1, 400),
      rec('churn#prod#2', C2, 500),
      rec('churn#prod!#3', C2, 600),
    ];
    const prod = buildRegistryState(records).models[0]?.stages.find((s) => s.stage === 'prod');
    expect(prod?.current?.version).toBe('v1.0.0');
    const emptied = buildRegistryState([...records, rec('churn#prod!#4', C1, 700)]).models[0];
    expect(emptied?.stages.find((s) => s.stage === 'prod')?.current).toBeNull();
  });

  it('a deregistered version no longer holds its stages', () => {
    const records = [...BASE, rec('churn#prod#1', C3, 400), rec('churn@v2.0.0!', C3, 500)];
    const prod = buildRegistryState(records).models[0]?.stages.find((s) => s.stage === 'prod');
    expect(prod?.current).toBeNull();
  });

  it('tracks deprecation: the last event decides', () => {
    const dep = buildRegistryState([...BASE, rec('churn@deprecated', C1, 400)]);
    expect(dep.models[0]?.deprecated).toBe(true);
    const back = buildRegistryState([
      ...BASE,
      rec('churn@deprecated', C1, 400),
      rec('churn@v3.0.0', C1, 500),
    ]);
    expect(back.models[0]?.deprecated).toBe(false);
  });

  it('does not count lightweight tags but reports them as unadopted', () => {
    const state = buildRegistryState([
      ...BASE,
      rec('churn@v9.0.0', C2, 400, {
        annotated: false,
        taggerName: null,
        taggerEmail: null,
        message: '',
      }),
      rec('churn#prod#12', C2, 400, { annotated: false }),
    ]);
    const churn = state.models[0];
    expect(churn?.latest?.version).toBe('v2.0.0');
    expect(churn?.stages).toEqual([]);
    // Counters of lightweight tags still count, so a new tag never reuses their names.
    expect(churn?.highestCounter).toBe(12);
    expect(state.unadopted.map((u) => u.tag)).toEqual(['churn#prod#12', 'churn@v9.0.0']);
    expect(state.warnings).toContain(
      "Tag 'churn@v9.0.0' is a lightweight tag, so the registry does not count it; run 'ghml model register --adopt churn@v9.0.0' to adopt it.",
    );
  });

  it('ignores tags outside the grammar and names GTO folder models', () => {
    const state = buildRegistryState([
      rec('v1.0.0', C1, 1),
      rec('release', C1, 1),
      rec('models=mymodel@v0.0.1', C1, 1),
    ]);
    expect(state.models.map((m) => m.name)).toEqual(['models:mymodel']);
  });

  it('uses the version in a ghml message when several versions share a commit', () => {
    const records = [
      rec('churn@v1.0.0', C1, 100),
      rec('churn@v1.0.0!', C1, 150),
      rec('churn@v1.0.1', C1, 200),
      rec('churn#prod#1', C1, 300, {
        message: formatTagMessage('p', { version: 'v1.0.1', stage: 'prod' }),
      }),
      rec('churn#dev#2', C1, 300),
    ];
    const churn = buildRegistryState(records).models[0];
    expect(churn?.stages.find((s) => s.stage === 'prod')?.current?.version).toBe('v1.0.1');
    expect(churn?.stages.find((s) => s.stage === 'dev')?.current?.version).toBe('v1.0.1');
  });

  it('keeps a stage on a bare commit with version null (GTO allows it)', () => {
    const state = buildRegistryState([rec('churn#prod#1', C1, 100)]);
    expect(state.models[0]?.stages[0]?.current).toMatchObject({ version: null, commit: C1 });
    expect(state.models[0]?.latest).toBeNull();
  });
});
