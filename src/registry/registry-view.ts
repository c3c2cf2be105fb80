/**
 * What `ghml model list` and `ghml model show` print: terminal tables and stable JSON views
 * of the registry state. Tag messages and tagger names are untrusted, so terminal text is
 * cleaned of control characters.
 */
import { cleanForTerminal, columns, painter } from '../text/text-columns.js';
import type { ModelState, RegistryEvent, RegistryState } from './registry-state.js';

/** One row of `ghml model list --json`. */
export interface ModelListRow {
  model: string;
  latest: string | null;
  deprecated: boolean;
  /** Stage → the version holding it (a short commit when the stage holds a bare commit). */
  stages: Record<string, string | null>;
}

/** `ghml model list --json`. */
export interface ModelListView {
  models: ModelListRow[];
  /** Lightweight tags in the grammar, not counted until adopted. */
  unadopted: Array<{ tag: string; model: string; commit: string }>;
  warnings: string[];
}

export function modelListView(state: RegistryState): ModelListView {
  return {
    models: state.models.map((m) => ({
      model: m.name,
      latest: m.latest?.version ?? null,
      deprecated: m.deprecated,
      stages: Object.fromEntries(m.stages.map((s) => [s.stage, holderLabel(s.current)])),
    })),
    unadopted: state.unadopted.map((u) => ({ tag: u.tag, model: u.model, commit: u.commit })),
    warnings: [...state.warnings],
  };
}

/** The list as a table: model, latest, one column per stage (allowed stages first). */
export function formatModelList(
  state: RegistryState,
  options: { color: boolean; stages?: readonly string[] | null },
): string {
  if (state.models.length === 0) return 'No models are registered yet.';
  const stageNames = [...(options.stages ?? [])];
  for (const m of state.models) {
    for (const s of m.stages) if (!stageNames.includes(s.stage)) stageNames.push(s.stage);
  }
  const header = ['model', 'latest', ...stageNames];
  const rows = state.models.map((m) => [
    cleanForTerminal(m.name) + (m.deprecated ? ' (deprecated)' : ''),
    m.latest?.version ?? '-',
    ...stageNames.map(
      (stage) => holderLabel(m.stages.find((s) => s.stage === stage)?.current) ?? '-',
    ),
  ]);
  const paint = painter(options.color);
  const lines = columns(
    [header, ...rows],
    header.map(() => false),
    paint,
    ['bold'],
    '',
  );
  return lines.join('\n');
}

/** `ghml model show --json`. */
export interface ModelShowView {
  model: string;
  latest: string | null;
  deprecated: boolean;
  versions: Array<{
    version: string;
    commit: string;
    active: boolean;
    stages: string[];
    registeredBy: string | null;
    registeredAt: string;
    runId: string | null;
    tag: string;
  }>;
  stages: Array<{
    stage: string;
    current: string | null;
    history: Array<{
      event: 'assign' | 'unassign';
      version: string | null;
      commit: string;
      by: string | null;
      at: string;
      tag: string;
    }>;
  }>;
}

export function modelShowView(model: ModelState): ModelShowView {
  return {
    model: model.name,
    latest: model.latest?.version ?? null,
    deprecated: model.deprecated,
    versions: model.versions.map((v) => ({
      version: v.version,
      commit: v.commit,
      active: v.active,
      stages: v.stages,
      registeredBy: who(v.registered),
      registeredAt: iso(v.registered.date),
      runId: v.registered.metadata?.runId ?? null,
      tag: v.registered.tag,
    })),
    stages: model.stages.map((s) => ({
      stage: s.stage,
      current: holderLabel(s.current),
      history: s.history.map((e) => ({
        event: e.event === 'unassign' ? ('unassign' as const) : ('assign' as const),
        version: e.version,
        commit: e.commit,
        by: who(e),
        at: iso(e.date),
        tag: e.tag,
      })),
    })),
  };
}

/** Every version, then every stage's history with who and when. */
export function formatModelShow(model: ModelState, options: { color: boolean }): string {
  const paint = painter(options.color);
  const view = modelShowView(model);
  const out: string[] = [
    paint(`${cleanForTerminal(view.model)}${view.deprecated ? ' (deprecated)' : ''}`, 'bold'),
    `latest: ${view.latest ?? '-'}`,
    '',
    paint('Versions', 'bold'),
  ];
  const versionRows = view.versions.map((v) => [
    v.version + (v.active ? '' : ' (deregistered)'),
    v.commit.slice(0, 12),
    v.stages.join(', ') || '-',
    cleanForTerminal(v.registeredBy ?? '-', 40),
    v.registeredAt,
    v.runId ?? '-',
  ]);
  out.push(
    ...columns(
      [['version', 'commit', 'stages', 'by', 'when', 'run'], ...versionRows],
      [false, false, false, false, false, false],
      paint,
      ['dim'],
    ),
  );
  for (const stage of view.stages) {
    out.push('', paint(`Stage ${cleanForTerminal(stage.stage)}: ${stage.current ?? '-'}`, 'bold'));
    const rows = stage.history.map((e) => [
      e.at,
      e.event === 'assign' ? 'assigned' : 'unassigned',
      e.version ?? e.commit.slice(0, 12),
      cleanForTerminal(e.by ?? '-', 40),
      e.tag,
    ]);
    out.push(...columns(rows, [false, false, false, false, false], paint));
  }
  return out.join('\n');
}

function holderLabel(
  holder: { version: string | null; commit: string } | null | undefined,
): string | null {
  if (!holder) return null;
  return holder.version ?? holder.commit.slice(0, 12);
}

function who(event: RegistryEvent): string | null {
  if (event.author === null) return null;
  return event.authorEmail ? `${event.author} <${event.authorEmail}>` : event.author;
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}
