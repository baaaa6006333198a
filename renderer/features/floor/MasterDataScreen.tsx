import { useTranslation } from 'react-i18next';

/** Master data: items with their floor fields, locations, CSV import. */
export function MasterDataScreen() {
  const { t } = useTranslation();
  return <p className="state">{t('app.loading')}</p>;
}
