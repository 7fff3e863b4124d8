// The service API's wire shapes and status codes, shared by the SDK (which reads them) and the engine (which writes them).

/** send_message's per-recipient statuses, as the original API numbered them. */
export const NO_ERROR = 0;
export const INVALID_JID = 1;
export const OTHER_ERROR = 2;

/** One entry of get_presence's answer. */
export interface PresenceAnswer {
  jid: string;
  valid: boolean;
  available: boolean;
  show: string;
  status: string;
}

export interface SendMessageAnswer {
  statuses: number[];
}

export interface GetPresenceAnswer {
  presence: PresenceAnswer[];
}
