import { FloorError } from '../../data/floor.js';

type T = (key: string, opts?: Record<string, unknown>) => string;

/** A refused floor write in the user's language: its stable code, with the English detail as fallback. */
export function floorErrorText(t: T, err: unknown): string {
  if (err instanceof FloorError) {
    const key = `floor.err.${err.code}`;
    const text = t(key, { ...err.details, message: err.message });
    return text === key ? t('floor.failed', { message: err.message }) : text;
  }
  return t('floor.failed', { message: err instanceof Error ? err.message : String(err) });
}
