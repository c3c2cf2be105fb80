/**
 * Model versions: SemVer 2.0.0 (semver.org) with a mandatory lowercase `v` prefix, as GTO
 * requires. Pre-release (`v1.0.0-rc.1`) and build metadata (`v1.0.0+abc`) are allowed because
 * GTO accepts them; build metadata is ignored for precedence, as the spec says.
 */

/** A parsed version such as `v1.2.3-rc.1+build.5`. */
export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  /** Dot-separated pre-release identifiers; empty for a release. */
  prerelease: readonly string[];
  /** Dot-separated build identifiers; empty when absent. */
  build: readonly string[];
}

/** Which part of a version `bumpSemVer` increments. */
export type SemVerBump = 'major' | 'minor' | 'patch';

const NUM = '(?:0|[1-9][0-9]*)';
const PRE_ID = '(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)';
const BUILD_ID = '[0-9a-zA-Z-]+';

/** The version grammar without anchors, shared with the tag grammar. */
export const SEMVER_PATTERN =
  `v${NUM}\\.${NUM}\\.${NUM}` +
  `(?:-${PRE_ID}(?:\\.${PRE_ID})*)?` +
  `(?:\\+${BUILD_ID}(?:\\.${BUILD_ID})*)?`;

const SEMVER_RE = new RegExp(
  `^v(${NUM})\\.(${NUM})\\.(${NUM})` +
    `(?:-(${PRE_ID}(?:\\.${PRE_ID})*))?` +
    `(?:\\+(${BUILD_ID}(?:\\.${BUILD_ID})*))?$`,
);

/** Parses `vX.Y.Z[-pre][+build]`; returns undefined for anything else (`1.2.3`, `v1.2`, `v01.2.3`). */
export function parseSemVer(text: string): SemVer | undefined {
  if (text.length > 256) return undefined;
  const m = SEMVER_RE.exec(text);
  if (!m) return undefined;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  const patch = Number(m[3]);
  if (![major, minor, patch].every(Number.isSafeInteger)) return undefined;
  return {
    major,
    minor,
    patch,
    prerelease: m[4] === undefined ? [] : m[4].split('.'),
    build: m[5] === undefined ? [] : m[5].split('.'),
  };
}

/** Formats a version back to its `v`-prefixed string. */
export function formatSemVer(v: SemVer): string {
  let s = `v${v.major}.${v.minor}.${v.patch}`;
  if (v.prerelease.length > 0) s += `-${v.prerelease.join('.')}`;
  if (v.build.length > 0) s += `+${v.build.join('.')}`;
  return s;
}

const NUMERIC = /^[0-9]+$/;

function compareIdentifiers(a: string, b: string): number {
  const an = NUMERIC.test(a);
  const bn = NUMERIC.test(b);
  if (an && bn) return Math.sign(Number(a) - Number(b));
  if (an) return -1;
  if (bn) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * SemVer precedence: negative when a < b, 0 when equal precedence (build metadata ignored),
 * positive when a > b.
 */
export function compareSemVer(a: SemVer, b: SemVer): number {
  for (const key of ['major', 'minor', 'patch'] as const) {
    if (a[key] !== b[key]) return Math.sign(a[key] - b[key]);
  }
  // A release ranks above any of its pre-releases.
  if (a.prerelease.length === 0 && b.prerelease.length === 0) return 0;
  if (a.prerelease.length === 0) return 1;
  if (b.prerelease.length === 0) return -1;
  const n = Math.min(a.prerelease.length, b.prerelease.length);
  for (let i = 0; i < n; i++) {
    const c = compareIdentifiers(a.prerelease[i] ?? '', b.prerelease[i] ?? '');
    if (c !== 0) return c;
  }
  return Math.sign(a.prerelease.length - b.prerelease.length);
}

/**
 * Increments one part, resets the lower ones and drops pre-release and build (as GTO's bump
 * does): minor of v1.2.3-rc.1 gives v1.3.0, patch gives v1.2.4.
 */
export function bumpSemVer(v: SemVer, part: SemVerBump): SemVer {
  const rest = { prerelease: [], build: [] };
  if (part === 'major') return { major: v.major + 1, minor: 0, patch: 0, ...rest };
  if (part === 'minor') return { major: v.major, minor: v.minor + 1, patch: 0, ...rest };
  return { major: v.major, minor: v.minor, patch: v.patch + 1, ...rest };
}

/** The first version of a model when none is given. */
export const FIRST_VERSION = 'v0.0.1';
