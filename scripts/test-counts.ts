/**
 * The counts `npm test` prints for a step, read back from its JSON report (vitest or Playwright),
 * with the failed tests by name and the first line of each error: CI keeps only the tail of the
 * output, so the summary has to say which test failed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A step's test counts, and the titles of its failed tests with the head of each error: its
 * first line and what follows up to the stack (an assertion's expected and received values), so
 * a failure in CI, where only the tail of the output is kept, says what it saw.
 */
export type Counts = { passed: number; failed: number; failures: string[] };

const HEAD_LINES = 16;

export const errorHead = (message: string | undefined): string => {
  const lines = (message ?? '')
    // eslint-disable-next-line no-control-regex -- strips terminal colours from the error
    .replace(/\u001b\[[0-9;]*m/g, '')
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim().length > 0);
  const stack = lines.findIndex((l) => /^\s*at /.test(l));
  const head = (stack < 0 ? lines : lines.slice(0, stack)).slice(0, HEAD_LINES);
  return head.map((l, i) => (i === 0 ? l.trim() : `      ${l}`)).join('\n');
};

export const vitestCounts = (file: string) => (): Counts | null => {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as {
      numPassedTests: number;
      numFailedTests: number;
      testResults?: {
        name: string;
        assertionResults?: { fullName: string; status: string; failureMessages?: string[] }[];
      }[];
    };
    const failures = (r.testResults ?? []).flatMap((f) =>
      (f.assertionResults ?? [])
        .filter((a) => a.status === 'failed')
        .map(
          (a) =>
            `${path.relative(process.cwd(), f.name)} › ${a.fullName}: ${errorHead(a.failureMessages?.[0])}`,
        ),
    );
    return { passed: r.numPassedTests, failed: r.numFailedTests, failures };
  } catch {
    return null;
  }
};

type PwSuite = {
  suites?: PwSuite[];
  specs?: {
    title: string;
    file: string;
    tests: { status: string; results: { error?: { message?: string } }[] }[];
  }[];
};
export const playwrightCounts = (file: string) => (): Counts | null => {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as {
      stats: { expected: number; unexpected: number; flaky: number };
      suites?: PwSuite[];
    };
    const failures: string[] = [];
    const walk = (suite: PwSuite) => {
      for (const spec of suite.specs ?? [])
        for (const t of spec.tests)
          if (t.status === 'unexpected')
            failures.push(`${spec.file} › ${spec.title}: ${errorHead(t.results.at(-1)?.error?.message)}`);
      for (const s of suite.suites ?? []) walk(s);
    };
    for (const s of r.suites ?? []) walk(s);
    return { passed: r.stats.expected + r.stats.flaky, failed: r.stats.unexpected, failures };
  } catch {
    return null;
  }
};
