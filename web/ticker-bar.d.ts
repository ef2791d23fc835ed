// Types of @tickerd/client/bar (ticker-bar.js, and the bundle dist/ticker-bar.min.js).
import type { Feed, Transport } from "./client.js";

export interface MountOptions {
  /** The daemon's base URL. Default: where the module was loaded from. */
  url?: string;
  /** Symbols to show, in this order: ["NVDA", "BTC"] or "NVDA,BTC". Default: every symbol. */
  symbols?: string[] | string;
  transports?: Transport[];
  /** The daemon's heartbeat interval (as for connect()). */
  heartbeatMs?: number;
  theme?: "dark" | "light";
  /** Sparkline span. Default "1d". */
  historyWindow?: "1h" | "6h" | "1d";
  /** false: no sparklines, and no history requests. Default true. */
  sparklines?: boolean;
  /** BCP 47 locale for the numbers (Intl.NumberFormat), e.g. "vi-VN". Default: the daemon's en-US style strings. */
  locale?: string;
  /** Seconds a quote without its own max_age stays current while the link is down. Default 900. */
  maxAge?: number;
  /** Render inside a shadow root. Default false. */
  shadow?: boolean;
  /** Stylesheet URL, or false to style it yourself. Default: the one next to the module. */
  css?: string | false;
  /** Marquee speed in px/s (it scrolls only when the symbols do not fit). Default 40. */
  speed?: number;
  /** The bar's accessible name (aria-label of its region). Default "Market prices". */
  label?: string;
  /** true: also give the status element id="status" and the DEMO badge id="demo-badge" (one bar per page). */
  ids?: boolean;
}

export interface TickerHandle {
  feed: Feed;
  destroy(): void;
}

export function mountTicker(element: Element, options?: MountOptions): TickerHandle;
