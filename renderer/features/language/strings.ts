/** Strings of the language switcher (English and Simplified Chinese). */
export const languageStrings = {
  en: {
    label: 'Language',
    hint: 'Applies at once and is remembered on this PC.',
  },
  zhCN: {
    label: '语言',
    hint: '立即生效，并在本机记住。',
  },
};
