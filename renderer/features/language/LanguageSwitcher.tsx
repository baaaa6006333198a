import { useTranslation } from 'react-i18next';
import { chooseLocale, LOCALES, type Locale } from '../../i18n/index.js';

/** Each language named in itself, so a reader of either finds theirs whatever is showing. */
const NATIVE_NAMES: Record<Locale, string> = { en: 'English', 'zh-CN': '简体中文' };

/**
 * The UI language of this PC: a plain select (Tab to it, arrow keys to choose), applied at once
 * and remembered here; it overrides the machine config's default language.
 */
export function LanguageSwitcher() {
  const { t, i18n } = useTranslation();
  const current: Locale = i18n.language === 'zh-CN' ? 'zh-CN' : 'en';
  return (
    <label className="language-switcher" title={t('language.hint')}>
      <span className="language-label">{t('language.label')}</span>{' '}
      <select
        name="language"
        value={current}
        onChange={(e) => void chooseLocale(e.target.value as Locale).catch(() => undefined)}
      >
        {LOCALES.map((l) => (
          <option key={l} value={l} lang={l}>
            {NATIVE_NAMES[l]}
          </option>
        ))}
      </select>
    </label>
  );
}
