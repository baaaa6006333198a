import type { FloorView } from '../../state/nav.js';
import { CountScreen } from './CountScreen.js';
import { FloorBar } from './FloorChrome.js';
import { MasterDataScreen } from './MasterDataScreen.js';
import { OutboundScreen } from './OutboundScreen.js';
import { ReceivingScreen } from './ReceivingScreen.js';
import { StockWatchScreen } from './StockWatchScreen.js';
import { TransferScreen } from './TransferScreen.js';

/** One floor screen under the floor bar (sound switch, shortcut help). */
export function FloorScreen({ view }: { view: FloorView }) {
  return (
    <div className="floor" data-floor-view={view}>
      <FloorBar />
      {view === 'receiving' && <ReceivingScreen />}
      {view === 'outbound' && <OutboundScreen />}
      {view === 'count' && <CountScreen />}
      {view === 'masterData' && <MasterDataScreen />}
      {view === 'stockWatch' && <StockWatchScreen />}
      {view === 'transfer' && <TransferScreen />}
    </div>
  );
}
