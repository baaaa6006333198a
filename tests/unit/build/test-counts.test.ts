import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { playwrightCounts, vitestCounts } from '../../../scripts/test-counts.js';

const dir = mkdtempSync(path.join(tmpdir(), 'test-counts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const report = (name: string, body: unknown) => {
  const file = path.join(dir, name);
  writeFileSync(file, typeof body === 'string' ? body : JSON.stringify(body));
  return file;
};

describe('the counts npm test prints', () => {
  it('names each failed Playwright test, nested in describes, with its error up to the stack', () => {
    const file = report('pw.json', {
      stats: { expected: 19, unexpected: 1, flaky: 1 },
      suites: [
        {
          specs: [
            { title: 'ok one', file: 'faults.spec.ts', tests: [{ status: 'expected', results: [{}] }] },
          ],
          suites: [
            {
              specs: [
                {
                  title: 'schedule seed 818809252',
                  file: 'faults.spec.ts',
                  tests: [
                    {
                      status: 'unexpected',
                      results: [
                        { error: { message: '\u001b[31m\n  balance diverged: 3 ≠ 0\n  at judge.ts:1' } },
                      ],
                    },
                  ],
                },
              ],
            },
          ],
        },
      ],
    });
    expect(playwrightCounts(file)()).toEqual({
      passed: 20,
      failed: 1,
      failures: ['faults.spec.ts › schedule seed 818809252: balance diverged: 3 ≠ 0'],
    });
  });

  it('names each failed vitest test by file and full name', () => {
    const file = report('vitest.json', {
      numPassedTests: 2,
      numFailedTests: 1,
      testResults: [
        {
          name: path.join(process.cwd(), 'tests/unit/a.test.ts'),
          assertionResults: [
            { fullName: 'a passes', status: 'passed' },
            {
              fullName: 'a › breaks',
              status: 'failed',
              failureMessages: ['AssertionError: expected 1 to be 2\n    at a.test.ts:3:5\n    at run'],
            },
          ],
        },
      ],
    });
    expect(vitestCounts(file)()).toEqual({
      passed: 2,
      failed: 1,
      failures: ['tests/unit/a.test.ts › a › breaks: AssertionError: expected 1 to be 2'],
    });
  });

  it("keeps an assertion's expected and received values, not its stack", () => {
    const message = [
      '\u001b[31mError: expect(received).toEqual(expected) // deep equality\u001b[39m',
      '',
      '- Expected  - 1',
      '+ Received  + 1',
      '',
      '  Object {',
      '-   "items": true,',
      '+   "items": false,',
      '  }',
      '',
      'Call Log:',
      '- Timeout 30000ms exceeded while waiting on the predicate',
      '    at access-lifecycle.spec.ts:66:5',
    ].join('\n');
    const file = report('poll.json', {
      stats: { expected: 0, unexpected: 1, flaky: 0 },
      suites: [
        {
          specs: [
            {
              title: 'downgraded',
              file: 'access-lifecycle.spec.ts',
              tests: [{ status: 'unexpected', results: [{ error: { message } }] }],
            },
          ],
        },
      ],
    });
    expect(playwrightCounts(file)()?.failures).toEqual([
      [
        'access-lifecycle.spec.ts › downgraded: Error: expect(received).toEqual(expected) // deep equality',
        '      - Expected  - 1',
        '      + Received  + 1',
        '        Object {',
        '      -   "items": true,',
        '      +   "items": false,',
        '        }',
        '      Call Log:',
        '      - Timeout 30000ms exceeded while waiting on the predicate',
      ].join('\n'),
    ]);
  });

  it('a missing or broken report gives no counts', () => {
    expect(playwrightCounts(path.join(dir, 'absent.json'))()).toBeNull();
    expect(vitestCounts(report('broken.json', '{'))()).toBeNull();
  });
});
