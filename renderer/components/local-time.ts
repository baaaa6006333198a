/** `datetime-local` inputs ⇄ instants, in this PC's local time. Shared by every form with times. */

const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');
const LOCAL_INPUT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/** A `datetime-local` input value (local time, minutes) for an instant. */
export function toLocalInput(d: Date): string {
  return `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/**
 * A `datetime-local` value read as this PC's local time, as ISO 8601 with its UTC offset
 * (`2026-11-26T09:30:00+08:00`); '' when it is not a valid local date-time (31 February, hour 25
 * and the like, which the Date constructor would silently roll over, are refused).
 */
export function localInputToIso(value: string): string {
  const m = LOCAL_INPUT.exec(value.trim());
  if (!m) return '';
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x))) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(y, mo - 1, d, h, mi, s);
  if (Number.isNaN(date.getTime()) || date.getMonth() !== mo - 1 || date.getDate() !== d || h > 23) return '';
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  // The Date's own local fields, so a time inside a DST gap is sent as the instant it became.
  return (
    `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
    `${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`
  );
}
