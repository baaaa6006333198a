import i18next from 'i18next';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../../shared/api/alerts.js';
import {
  ackPath,
  ALERT_RULES,
  alertsPath,
  applyAck,
  ruleSentence,
  ruleTitle,
  sortAlerts,
  sourceText,
} from '../../../renderer/features/alerts/model.js';
import { resources } from '../../../renderer/i18n/index.js';

function alert(id: string, over: Partial<Alert> = {}): Alert {
  return {
    id,
    tenantId: 'acme',
    rule: 'rapid-changes',
    userId: 'u-op.acme',
    raisedAt: '2026-11-26T10:00:00.000Z',
    windowStart: '2026-11-26T09:55:00.000Z',
    windowEnd: '2026-11-26T10:00:00.000Z',
    count: 41,
    detail: { limit: 40, minutes: 5 },
    source: 'server',
    dedupKey: id,
    acknowledgedBy: null,
    acknowledgedAt: null,
    ...over,
  };
}

const i18n = i18next.createInstance();
beforeAll(async () => {
  await i18n.init({
    lng: 'en',
    resources: { en: { translation: resources('en') }, 'zh-CN': { translation: resources('zhCN') } },
    interpolation: { escapeValue: false },
  });
});
const en = (k: string, o?: Record<string, unknown>) => i18n.getFixedT('en')(k, o);
const zh = (k: string, o?: Record<string, unknown>) => i18n.getFixedT('zh-CN')(k, o);

describe('alerts model', () => {
  it('asks for open alerts unless acknowledged ones are wanted', () => {
    expect(alertsPath('acme', false)).toBe('/api/t/acme/alerts?open=1');
    expect(alertsPath('acme', true)).toBe('/api/t/acme/alerts');
    expect(ackPath('acme', 'a/1')).toBe('/api/t/acme/alerts/a%2F1/ack');
  });
  it('puts open alerts first, newest first', () => {
    const list = [
      alert('old', { raisedAt: '2026-11-25T10:00:00Z' }),
      alert('acked', {
        raisedAt: '2026-11-27T10:00:00Z',
        acknowledgedAt: '2026-11-27T11:00:00Z',
        acknowledgedBy: 'u-mgr',
      }),
      alert('new', { raisedAt: '2026-11-26T10:00:00Z' }),
    ];
    expect(sortAlerts(list).map((a) => a.id)).toEqual(['new', 'old', 'acked']);
  });
  it('an acknowledged alert leaves the open list, or is replaced when all are shown', () => {
    const list = [alert('a'), alert('b')];
    const acked = alert('a', { acknowledgedAt: '2026-11-26T11:00:00Z', acknowledgedBy: 'u-mgr' });
    expect(applyAck(list, acked, false).map((a) => a.id)).toEqual(['b']);
    expect(applyAck(list, acked, true)).toEqual([acked, list[1]]);
  });
  it('words every rule in both languages, with count and the rule detail', () => {
    for (const rule of ALERT_RULES) {
      for (const tr of [en, zh]) {
        const title = ruleTitle(rule, tr);
        const sentence = ruleSentence(alert('x', { rule: rule as Alert['rule'] }), tr);
        expect(title).not.toContain('alerts.');
        expect(sentence).not.toMatch(/alerts\.|{{/);
        expect(sentence).toContain('u-op.acme');
      }
    }
    expect(ruleSentence(alert('x'), en)).toBe(
      '41 changes by u-op.acme in the window (limit: 40 within 5 min).',
    );
    expect(ruleSentence(alert('x', { count: 1 }), en)).toContain('1 change by');
    expect(
      ruleSentence(
        alert('x', {
          rule: 'off-hours',
          count: 2,
          detail: { localDate: '2026-11-26', timeZone: 'Asia/Shanghai', kinds: ['export'] },
        }),
        en,
      ),
    ).toBe(
      '2 destructive changes or exports by u-op.acme outside working hours on 2026-11-26 (Asia/Shanghai).',
    );
    expect(ruleSentence(alert('x'), zh)).toContain('41');
  });
  it('shows an unknown rule by its id and tolerates a detail without the expected fields', () => {
    const odd = alert('x', { rule: 'brand-new' as Alert['rule'], detail: {} });
    expect(ruleTitle(odd.rule, en)).toBe('brand-new');
    expect(ruleSentence(odd, en)).toContain('brand-new');
    expect(ruleSentence(alert('x', { detail: {} }), en)).toContain('limit: ? within ? min');
  });
  it('says where an alert was raised', () => {
    expect(sourceText({ source: 'server' }, en)).toBe('Server');
    expect(sourceText({ source: 'client' }, en)).toBe('A PC while offline');
  });
});
