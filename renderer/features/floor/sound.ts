import { create } from 'zustand';
import { createJSONStorage, persist } from 'zustand/middleware';

/**
 * Scan feedback sound: a short beep for success, a low double buzz for an error. A per-PC
 * setting (no tenant data, so localStorage) switches it off. Where audio is unavailable
 * (no device, blocked autoplay, a test browser) the beep silently does nothing: the visual
 * feedback carries the message either way.
 */

export type SoundSettings = { sound: boolean; setSound(on: boolean): void };

/** Storage key of the floor settings (exported for tests). */
export const FLOOR_SETTINGS_KEY = 'bulkhead.floor.settings';

/** Floor UI settings of this PC. */
export const useFloorSettings = create<SoundSettings>()(
  persist((set) => ({ sound: true, setSound: (sound) => set({ sound }) }), {
    name: FLOOR_SETTINGS_KEY,
    storage: createJSONStorage(() => safeLocalStorage()),
    partialize: (s) => ({ sound: s.sound }),
  }),
);

function safeLocalStorage(): Storage {
  try {
    return globalThis.localStorage;
  } catch {
    // Some sandboxes throw on access; the setting then lasts for the session only.
    const mem = new Map<string, string>();
    return {
      getItem: (k) => mem.get(k) ?? null,
      setItem: (k, v) => void mem.set(k, v),
      removeItem: (k) => void mem.delete(k),
      clear: () => mem.clear(),
      key: (i) => [...mem.keys()][i] ?? null,
      get length() {
        return mem.size;
      },
    };
  }
}

/** The tones of a feedback kind: [frequency Hz, duration ms] in sequence. */
export function tonesFor(kind: 'ok' | 'error'): readonly (readonly [number, number])[] {
  return kind === 'ok'
    ? [[1760, 70]]
    : [
        [220, 110],
        [180, 140],
      ];
}

type AudioCtor = new () => AudioContext;
let ctx: AudioContext | null = null;
let unavailable = false;

/** Play the feedback sound if the setting allows and audio works; never throws. */
export function beep(kind: 'ok' | 'error', enabled = useFloorSettings.getState().sound): boolean {
  if (!enabled || unavailable) return false;
  try {
    const g = globalThis as unknown as { AudioContext?: AudioCtor; webkitAudioContext?: AudioCtor };
    const Ctor = g.AudioContext ?? g.webkitAudioContext;
    if (!Ctor) {
      unavailable = true;
      return false;
    }
    ctx ??= new Ctor();
    if (ctx.state === 'suspended') void ctx.resume().catch(() => undefined);
    let at = ctx.currentTime;
    for (const [freq, ms] of tonesFor(kind)) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = kind === 'ok' ? 'sine' : 'square';
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.08, at);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + ms / 1000);
      osc.connect(gain).connect(ctx.destination);
      osc.start(at);
      osc.stop(at + ms / 1000);
      at += ms / 1000 + 0.03;
    }
    return true;
  } catch {
    unavailable = true;
    return false;
  }
}
