import { useTranslation } from 'react-i18next';
import { useAttention } from '../../data/attention.js';
import { attentionCount } from './model.js';

/** The count of open Needs-attention items, for the tab label; nothing when there are none. */
export function AttentionBadge() {
  const { t } = useTranslation();
  const { items } = useAttention();
  const count = attentionCount(items);
  if (count === 0) return null;
  return (
    <span className="badge attention-badge" data-testid="attention-badge">
      <span aria-hidden="true">{count}</span>
      <span className="sr-only">{t('attention.badge', { count })}</span>
    </span>
  );
}
