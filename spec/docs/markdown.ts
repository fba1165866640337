/**
 * Shared by the documentation specs: the Markdown files users read (README.md and the guides in
 * docs/guides/) and the fenced code blocks inside them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/** README.md and every guide, as paths relative to the root. */
export function markdownFiles(): string[] {
  const guides = readdirSync(join(ROOT, 'docs/guides'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/guides/${name}`);
  return ['README.md', ...guides];
}

/** One fenced code block. */
export interface CodeBlock {
  /** The Markdown file, relative to the root. */
  readonly file: string;
  /** The line of the block's first code line (1-based). */
  readonly line: number;
  /** The info string's first word: `ts`, `sh`, `text`… */
  readonly language: string;
  /** The words after it: ```` ```ts partial ```` gives `['partial']`. */
  readonly flags: readonly string[];
  readonly code: string;
}

/** The fenced code blocks of a Markdown text (``` or ~~~ fences, not indented code). */
export function codeBlocks(markdown: string, file: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[1]!;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !lines[end]!.trimStart().startsWith(fence)) end++;
    blocks.push({
      file,
      line: start + 1,
      language: open[2]!,
      flags: open[3]!.split(/\s+/).filter(Boolean),
      code: lines.slice(start, end).join('\n'),
    });
    i = end;
  }
  return blocks;
}

/** The TypeScript blocks of every user-facing Markdown file. */
export function typescriptBlocks(): CodeBlock[] {
  return markdownFiles().flatMap((file) =>
    codeBlocks(readFileSync(join(ROOT, file), 'utf8'), file).filter((b) =>
      ['ts', 'typescript'].includes(b.language),
    ),
  );
}
