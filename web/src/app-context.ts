/**
 * What every view gets: the data, navigation between routes (each view's state lives in the
 * URL, so every view has a permalink), and the set of runs selected for comparison.
 */
import { formatSiteRoute, type SiteRoute } from '../../src/site/site-links.js';
import type { SiteData } from './data.js';

export interface App {
  data: SiteData;
  /** Goes to a route; `replace` rewrites the current history entry (e.g. while typing a filter). */
  navigate(route: SiteRoute, options?: { replace?: boolean; render?: boolean }): void;
  selection: Selection;
}

export interface View {
  element: HTMLElement;
  /** Called when the view is removed (timers, listeners). */
  dispose?(): void;
  /** The element '/' focuses, if any. */
  searchBox?: HTMLInputElement;
}

const STORAGE_KEY = 'ghml.selection';

/** Runs picked for comparison, in the order they were picked; kept for the browser tab. */
export class Selection {
  private readonly ids: string[];
  private readonly listeners = new Set<() => void>();

  constructor() {
    let stored: unknown = [];
    try {
      stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? '[]');
    } catch {
      stored = [];
    }
    this.ids = Array.isArray(stored)
      ? stored.filter((x): x is string => typeof x === 'string').slice(0, 50)
      : [];
  }

  has(id: string): boolean {
    return this.ids.includes(id);
  }

  list(): readonly string[] {
    return this.ids;
  }

  toggle(id: string): void {
    const at = this.ids.indexOf(id);
    if (at >= 0) this.ids.splice(at, 1);
    else this.ids.push(id);
    this.changed();
  }

  clear(): void {
    this.ids.length = 0;
    this.changed();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    try {
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify(this.ids));
    } catch {
      // storage may be disabled; the selection still works for this page
    }
    for (const listener of this.listeners) listener();
  }
}

export function routeHref(route: SiteRoute): string {
  return formatSiteRoute(route);
}
