import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { useNav, type FloorView } from '../../state/nav.js';
import { useFloorSettings } from './sound.js';

/** The floor views in shortcut order (Alt+1 … Alt+6). */
export const FLOOR_VIEWS: readonly FloorView[] = [
  'receiving',
  'outbound',
  'count',
  'masterData',
  'stockWatch',
  'transfer',
];

/** Is a view one of the floor screens? */
export function isFloorView(v: string): v is FloorView {
  return (FLOOR_VIEWS as readonly string[]).includes(v);
}

/** Which floor view an Alt+digit opens (null: not a floor shortcut). */
export function floorShortcut(e: {
  altKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  key: string;
}): FloorView | null {
  if (!e.altKey || e.ctrlKey || e.metaKey) return null;
  const n = Number(e.key);
  if (!Number.isInteger(n) || n < 1 || n > FLOOR_VIEWS.length) return null;
  return FLOOR_VIEWS[n - 1] ?? null;
}

/** Global Alt+1…6 shortcuts to the floor screens (mounted once by the shell). */
export function FloorShortcuts() {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const v = floorShortcut(e);
      if (!v) return;
      e.preventDefault();
      useNav.getState().go(v);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return null;
}

/** The per-PC sound switch and the shortcut help shown above every floor screen. */
export function FloorBar() {
  const { t } = useTranslation();
  const sound = useFloorSettings((s) => s.sound);
  return (
    <div className="floor-bar">
      <p className="hint" data-testid="floor-shortcuts">
        {t('floor.shortcuts')}
      </p>
      <label className="toggle">
        <input
          type="checkbox"
          name="floor-sound"
          checked={sound}
          onChange={(e) => useFloorSettings.getState().setSound(e.target.checked)}
        />
        {t('floor.sound')}: {sound ? t('floor.soundOn') : t('floor.soundOff')}
      </label>
    </div>
  );
}
