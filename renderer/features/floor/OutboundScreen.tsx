import { useTranslation } from 'react-i18next';

/** Outbound orders: pick (FEFO bins), pack, ship, cancel. */
export function OutboundScreen() {
  const { t } = useTranslation();
  return <p className="state">{t('app.loading')}</p>;
}
