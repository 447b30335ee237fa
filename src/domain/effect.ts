// Whether a device's state shows a command took effect. `completed` only means the manufacturer
// accepted the command (docs/amps-api/contract.md §7); `--verify` reads the device to see.

import type { DeviceType } from '../contract/devices.js';

/** `shown`, `drift` (the state says otherwise), or undefined when the state cannot tell. */
export function effectOf(type: DeviceType, command: string, state: Record<string, unknown>): 'shown' | 'drift' | undefined {
  switch (type) {
    case 'battery':
      return typeof state.currentMode === 'string' ? (state.currentMode === command ? 'shown' : 'drift') : undefined;
    case 'ev_charger':
      if (typeof state.isCharging !== 'boolean') return undefined;
      if (command === 'charge') return state.isConnected === false ? undefined : state.isCharging ? 'shown' : 'drift';
      if (command === 'idle') return state.isCharging ? 'drift' : 'shown';
      return undefined;
    case 'hvac':
      if (command === 'follow_schedule') return typeof state.holdType === 'string' ? (state.holdType === 'follow_schedule' ? 'shown' : 'drift') : undefined;
      return typeof state.mode === 'string' ? (state.mode === command ? 'shown' : 'drift') : undefined;
    default:
      return undefined;
  }
}
