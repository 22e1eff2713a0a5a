import type { PvblkBridge } from '../main/common/api';

declare global {
  interface Window {
    /** Present only inside Electron (set by the preload). */
    pvblk?: PvblkBridge;
  }
}
