/**
 * Every command, flag and setting that ghml's messages and hints name must exist. The texts
 * are every string in src/ (errors' hints, messages, notes, help), read with the TypeScript
 * parser; each `ghml <command> … --flag` is resolved against the real commander tree, every
 * other `--flag` must belong to some ghml command (unless it follows git, kubectl or another
 * program), and every ghml.yml setting path (`tracking.push_timeout`, `deploy.<stage>.image`)
 * must be one the config schema accepts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Command, Option } from 'commander';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../src/cli/program.js';
import { ConfigError } from '../../../src/config/config-errors.js';
import { parseConfig } from '../../../src/config/load-config.js';

const SRC = join(process.cwd(), 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** A text as the user may see it: substitutions become `X`. */
function textOf(node: ts.Node): string | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) {
    return node.head.text + node.templateSpans.map((span) => `X${span.literal.text}`).join('');
  }
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    return `${textOf(node.left) ?? 'X'}${textOf(node.right) ?? 'X'}`;
  }
  if (ts.isParenthesizedExpression(node)) return textOf(node.expression);
  return undefined;
}

interface Found {
  where: string;
  text: string;
}

/** Texts that hold no prose: a single token (an argv element, a name, a key). */
function isProse(text: string): boolean {
  return /\s/.test(text.trim());
}

function collectTexts(): Found[] {
  const found: Found[] = [];
  for (const file of sourceFiles(SRC)) {
    const source = ts.createSourceFile(
      file,
      readFileSync(file, 'utf8'),
      ts.ScriptTarget.Latest,
      true,
    );
    const visit = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) return;
      const text = textOf(node);
      if (text !== undefined) {
        const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
        if (isProse(text)) found.push({ where: `${relative(process.cwd(), file)}:${line}`, text });
        return; // the parts of a concatenation are in the whole
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

const program = await buildProgram(
  {
    io: { out: () => undefined, err: () => undefined, color: false, interactive: false },
    env: {},
    cwd: process.cwd(),
    setExitCode: () => undefined,
  },
  '0.0.0',
);

function flagsOf(command: Command): Set<string> {
  const flags = new Set<string>(['--help', '-h']);
  for (let c: Command | null = command; c !== null; c = c.parent) {
    for (const option of c.options as readonly Option[]) {
      if (option.long) {
        flags.add(option.long);
        if (option.negate) flags.add(option.long.replace(/^--no-/, '--'));
      }
      if (option.short) flags.add(option.short);
    }
  }
  if (command === program) flags.add('--version').add('-V');
  return flags;
}

function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}
const ALL_FLAGS = new Set(allCommands(program).flatMap((c) => [...flagsOf(c)]));

/** What comes right before an invocation of ghml in a text. */
const INVOKED = /(?:[`'"“(]|: |\b(?:run|use|try|pass|with|e\.g\.|then|or|and)\s)$/;
/** Where the words after `ghml` are surely a command line (quoted or bracketed), not prose. */
const QUOTED = /[`'"“(]$/;

/** Words that end a command snippet in prose. */
const STOP =
  /^(or|and|to|then|first|instead|again|later|for|with|if|in|on|after|before|when|is|it|the|a|an)$/;
const TOKEN = /^[^\s`'"“”,;()[\]]+/;

/** Problems with the `ghml …` invocations in a text. */
function commandProblems(text: string): string[] {
  const problems: string[] = [];
  for (const match of text.matchAll(/(?<![\w./-])ghml(?= )/g)) {
    // Prose about ghml ("ghml records…") is not an invocation; a quoted, bracketed or
    // introduced one is ("run `ghml push`", "(ghml fetch)", "Publish it: ghml model release").
    const before = text.slice(0, match.index);
    if (!INVOKED.test(before)) continue;
    let rest = text.slice((match.index ?? 0) + 'ghml'.length);
    const tokens: string[] = [];
    while (rest.startsWith(' ')) {
      const token = TOKEN.exec(rest.slice(1))?.[0];
      if (token === undefined) break;
      const word = token.replace(/[.:]+$/, '');
      if (STOP.test(word)) break;
      tokens.push(word);
      rest = rest.slice(1 + token.length);
      if (word !== token) break;
    }
    if (tokens.length === 0) continue;
    let command = program;
    let descending = true;
    // Unquoted, only a known first word makes it an invocation ("run ghml inside a repository").
    const first = tokens[0] ?? '';
    if (!QUOTED.test(before) && !program.commands.some((c) => c.name() === first)) continue;
    const shown = `ghml ${tokens.join(' ')}`;
    for (const [i, token] of tokens.entries()) {
      if (token === '--') break;
      if (token.startsWith('-')) {
        const flag = token.replace(/=.*$/, '');
        if (!/^--?[A-Za-z]/.test(flag) || flag === '-X') continue;
        if (!flagsOf(command).has(flag))
          problems.push(
            `'${shown}': ${flag} is not an option of 'ghml ${command === program ? '' : command.name()}'`.replace(
              "ghml '",
              "ghml'",
            ),
          );
        continue;
      }
      if (!descending) continue;
      const sub = command.commands.find((c) => c.name() === token || c.aliases().includes(token));
      if (sub !== undefined) {
        command = sub;
        continue;
      }
      if (i === 0 && !/^[<X]/.test(token))
        problems.push(`'${shown}': '${token}' is not a ghml command`);
      descending = false;
    }
  }
  return problems;
}

/** Programs whose flags are not ghml's. */
const OTHER_PROGRAMS = /\b(git|kubectl|npm|npx|node|python3?|pip|gh|docker|bash|curl)\b[^`'"]*$/;

/** `--flags` outside a `ghml …` invocation must be some ghml command's. */
function looseFlagProblems(text: string): string[] {
  const problems: string[] = [];
  for (const match of text.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*/g)) {
    const before = text.slice(0, match.index);
    if (
      /\bghml(?: [^`'"]*)?$/.test(before) &&
      !/[`'"]/.test(before.slice(before.lastIndexOf('ghml')))
    )
      continue;
    if (OTHER_PROGRAMS.test(before)) continue;
    if (!ALL_FLAGS.has(match[0])) problems.push(`${match[0]} is not an option of any ghml command`);
  }
  return problems;
}

const SECTIONS = ['tracking', 'sources', 'artifacts', 'experiments', 'registry', 'deploy'];
const SETTING = new RegExp(
  `(?<![\\w./-])(${SECTIONS.join('|')})((?:\\.(?:<[^>]+>|[A-Za-z0-9_*-]+))+)`,
  'g',
);

/** Whether ghml.yml accepts the setting at `path` (placeholders like <stage> become names). */
function settingExists(path: string[]): boolean {
  const keys = path.map((part) => (part.startsWith('<') ? 'x' : part));
  let yaml = '';
  keys.forEach((key, depth) => {
    yaml += `${'  '.repeat(depth)}${key === '*' ? "'*'" : key}:${depth === keys.length - 1 ? ' null' : ''}\n`;
  });
  try {
    parseConfig(yaml, 'ghml.yml');
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return !error.problems.some((p) => p.message.includes('is not a known setting'));
  }
  return true;
}

function settingProblems(text: string): string[] {
  const problems: string[] = [];
  for (const match of text.matchAll(SETTING)) {
    const whole = match[0];
    if (/\.(md|ts|js|ya?ml|json|py)$/.test(whole)) continue;
    const path = [match[1] ?? '', ...(match[2] ?? '').slice(1).split('.')];
    if (!settingExists(path)) problems.push(`'${whole}' is not a ghml.yml setting`);
  }
  return problems;
}

const TEXTS = collectTexts();

describe('hints and messages', () => {
  it('read the texts of every source file', () => {
    expect(TEXTS.length).toBeGreaterThan(1000);
    expect(TEXTS.some((t) => t.text.includes('ghml model register'))).toBe(true);
  });

  it('name only ghml commands and flags that exist', () => {
    const problems = TEXTS.flatMap((t) =>
      [...commandProblems(t.text), ...looseFlagProblems(t.text)].map((p) => `${t.where}: ${p}`),
    );
    expect(problems).toEqual([]);
  });

  it('name only ghml.yml settings that exist', () => {
    const problems = TEXTS.flatMap((t) => settingProblems(t.text).map((p) => `${t.where}: ${p}`));
    expect(problems).toEqual([]);
  });

  it('catch the mistakes they are here for', () => {
    expect(commandProblems('run `ghml fetch` first')).toEqual([
      "'ghml fetch': 'fetch' is not a ghml command",
    ]);
    expect(commandProblems('run ghml compare --token X')[0]).toContain('--token is not an option');
    expect(commandProblems('ghml model register --adopt X')).toEqual([]);
    expect(looseFlagProblems('or pass --tokne')).toEqual([
      '--tokne is not an option of any ghml command',
    ]);
    expect(looseFlagProblems('git fetch --force origin')).toEqual([]);
    expect(settingProblems('raise tracking.pushTimeoutMs')).toEqual([
      "'tracking.pushTimeoutMs' is not a ghml.yml setting",
    ]);
    expect(settingProblems('raise tracking.push_timeout, or deploy.<stage>.image')).toEqual([]);
    expect(settingProblems('see docs/deploy.md')).toEqual([]);
  });
});
