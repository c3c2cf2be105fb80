/** Rendered objects as one YAML stream: what --dry-run prints and what kubectl reads. */
import { stringify } from 'yaml';
import type { KubeObject } from './manifest-render.js';

export function formatManifests(objects: readonly KubeObject[]): string {
  // lineWidth 0: long values (URIs, scripts) are never folded.
  return objects
    .map((o) => stringify(o, { lineWidth: 0, aliasDuplicateObjects: false }))
    .join('---\n');
}
