import { ReceiveForm } from '../receive/ReceiveForm.js';
import { PutawayPanel } from './PutawayPanel.js';

/** Receiving: receive goods (against a notice or blind), then put them away to a bin. */
export function ReceivingScreen() {
  return (
    <div className="floor-columns">
      <ReceiveForm />
      <PutawayPanel />
    </div>
  );
}
