import { useTranslation } from 'react-i18next';

/** Expiring batches and items below their minimum stock. */
export function StockWatchScreen() {
  const { t } = useTranslation();
  return <p className="state">{t('app.loading')}</p>;
}
