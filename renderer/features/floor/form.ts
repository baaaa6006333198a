import { useRef, useState, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import { floorErrorText } from './errors.js';
import { sounded, type Feedback } from './parts.js';

/**
 * The state every floor form keeps: its status line, whether a write is in flight, and its submit
 * button. `fail` sounds an error and puts the cursor where it can be fixed; `run` does one write
 * (busy meanwhile, `onBusy` told too) and shows a refusal as the error.
 */
export function useFloorForm(onBusy?: (busy: boolean) => void) {
  const { t } = useTranslation();
  const [feedback, setFeedback] = useState<Feedback>(null);
  const [busy, setBusy] = useState(false);
  const submitRef = useRef<HTMLButtonElement>(null);
  const fail = (text: string, at?: RefObject<HTMLElement | null>) => {
    setFeedback(sounded({ kind: 'error', text }));
    at?.current?.focus();
  };
  const run = async (write: () => Promise<void>) => {
    setBusy(true);
    onBusy?.(true);
    try {
      await write();
    } catch (err) {
      fail(floorErrorText(t, err));
    } finally {
      setBusy(false);
      onBusy?.(false);
    }
  };
  return { feedback, setFeedback, busy, submitRef, fail, run };
}
