import { describe, expect, it } from 'vitest';
import type { ReviewedFinding } from '../../../build/security-review.js';
import { evaluateFindings, findingsCsv, shellChecks } from '../../../scripts/security-electron.js';
import type { Finding } from '../../../scripts/security-electron.js';

const finding = (overrides: Partial<Finding>): Finding => ({
  id: 'OPEN_EXTERNAL_JS_CHECK',
  severity: 'MEDIUM',
  confidence: 'TENTATIVE',
  file: 'electron/main/security.ts',
  line: 10,
  column: 2,
  sample: 'options.openExternal(url).catch(() => undefined);',
  description: 'Review the use of openExternal',
  ...overrides,
});

const review: ReviewedFinding = {
  check: 'OPEN_EXTERNAL_JS_CHECK',
  file: 'electron/main/security.ts',
  sampleContains: 'options.openExternal(url)',
  reason: 'guarded',
};

describe('evaluateFindings', () => {
  it('HIGH and MEDIUM block unless reviewed; LOW and INFORMATIONAL only inform', () => {
    const verdict = evaluateFindings(
      [
        finding({}),
        finding({ id: 'CONTEXT_ISOLATION_JS_CHECK', severity: 'HIGH', file: 'electron/main/main.ts' }),
        finding({ id: 'CSP_GLOBAL_CHECK', severity: 'LOW' }),
        finding({ id: 'X', severity: 'INFORMATIONAL' }),
      ],
      [review],
    );
    expect(verdict.blocking.map((f) => f.id)).toEqual(['CONTEXT_ISOLATION_JS_CHECK']);
    expect(verdict.accepted.map((a) => a.finding.id)).toEqual(['OPEN_EXTERNAL_JS_CHECK']);
    expect(verdict.informational.map((f) => f.id)).toEqual(['CSP_GLOBAL_CHECK', 'X']);
    expect(verdict.stale).toEqual([]);
  });

  it('a review matches by check, file and source text — not another file or another call', () => {
    expect(evaluateFindings([finding({ file: 'electron/main/other.ts' })], [review]).blocking).toHaveLength(
      1,
    );
    expect(
      evaluateFindings([finding({ sample: 'shell.openExternal(userInput)' })], [review]).blocking,
    ).toHaveLength(1);
  });

  it('a review entry without a finding is reported stale', () => {
    expect(evaluateFindings([], [review]).stale).toEqual([review]);
  });

  it('writes a CSV with quoted cells', () => {
    expect(findingsCsv([finding({ sample: 'a "b", c' })]).split('\n')[1]).toBe(
      '"OPEN_EXTERNAL_JS_CHECK","MEDIUM","TENTATIVE","electron/main/security.ts","10:2","a ""b"", c","Review the use of openExternal"',
    );
  });
});

describe('shell checks of the security gate', () => {
  it.each(shellChecks().map((check) => [check.name, check] as const))('%s', async (_name, check) => {
    await check.run();
  });
});
