/**
 * The Models view's data: each model's versions, stages and full event history from the
 * registry tags (registry-state.ts applies GTO's rules), with the run each version was built
 * from. Tag messages and tagger names are untrusted text; the page shows them as text.
 */
import type { RegistryEvent, RegistryState } from '../../registry/registry-state.js';
import type { ModelsFile, SiteModel, SiteModelEvent } from './site-data-format.js';

function who(event: RegistryEvent): string | null {
  if (event.author === null) return null;
  return event.authorEmail ? `${event.author} <${event.authorEmail}>` : event.author;
}

export function buildModelsFile(state: RegistryState): ModelsFile {
  const models: SiteModel[] = state.models.map((model) => {
    const runOfVersion = new Map<string, string>();
    for (const v of model.versions) {
      const runId = v.registered.metadata?.runId;
      if (runId !== undefined) runOfVersion.set(v.version, runId);
    }
    const events: SiteModelEvent[] = model.events.map((e) => ({
      tag: e.tag,
      event: e.event,
      version: e.version,
      stage: e.stage,
      commit: e.commit,
      author: who(e),
      date: e.date,
      summary: e.summary,
      runId:
        e.metadata?.runId ?? (e.version === null ? null : (runOfVersion.get(e.version) ?? null)),
    }));
    return {
      name: model.name,
      latest: model.latest?.version ?? null,
      deprecated: model.deprecated,
      versions: model.versions.map((v) => ({
        version: v.version,
        commit: v.commit,
        active: v.active,
        stages: v.stages,
        tag: v.registered.tag,
        registeredBy: who(v.registered),
        registeredAt: v.registered.date,
        runId: v.registered.metadata?.runId ?? null,
      })),
      stages: model.stages.map((s) => ({
        stage: s.stage,
        current: s.current === null ? null : (s.current.version ?? s.current.commit.slice(0, 12)),
      })),
      events,
    };
  });
  return { format: 1, models, warnings: [...state.warnings] };
}

/** Ids of the runs model versions were registered from. */
export function registeredRunIds(file: ModelsFile): Set<string> {
  const ids = new Set<string>();
  for (const model of file.models)
    for (const v of model.versions) if (v.runId !== null) ids.add(v.runId);
  return ids;
}
