// A front-end developer's use of @tickerd/client, type-checked against the
// package's hand-written declarations (web/*.d.ts) through its `exports` map:
// tests/web/types.test.mjs links web/ as node_modules/@tickerd/client and runs
// tsc --noEmit on this file. Never run, only checked.
import { connect, fetchHistory, formatQuote, type Quote, type Feed, type Status } from "@tickerd/client";
import { mountTicker, type MountOptions } from "@tickerd/client/bar";

const feed: Feed = connect({
  url: "https://quotes.example.com",
  symbols: ["NVDA", "BTC"],
  transports: ["ws", "sse"],
  heartbeatMs: 15_000,
  WebSocket: globalThis.WebSocket,
  onSnapshot: (quotes: Quote[]) => quotes.map((q) => q.price.toFixed(2)),
  onUpdate: (quotes, info) => console.log(quotes.length, info.seq, info.transport),
  onStatus: (s: Status) => console.log(s.state === "reconnecting" ? s.retryInMs : s.transport),
});
feed.subscribe("TSM");
feed.unsubscribe(["TSM"]);
const held: Quote | undefined = feed.quote("NVDA");
const since: number = feed.seq + feed.lastMessageAt();
if (held) {
  const shown: string = formatQuote(held, "vi-VN").price;
  const stale: boolean = held.stale;
  console.log(shown, stale, held.max_age ?? 900, since);
}
feed.close();

async function sparkline(): Promise<number> {
  const h = await fetchHistory("https://quotes.example.com", "USD/VND", "6h", { points: 60 });
  return h.points.reduce((sum, [, price]) => sum + price, 0);
}
void sparkline();

const options: MountOptions = { symbols: "NVDA,BTC", theme: "light", locale: "en-US", sparklines: false, label: "Prices", ids: true, maxAge: 60 };
const bar = mountTicker(document.body, options);
bar.feed.status();
bar.destroy();

// What must not type-check: the declarations are not just `any`.
// @ts-expect-error a number is not a list of symbols
connect({ symbols: 42 });
// @ts-expect-error unknown transport
connect({ transports: ["carrier-pigeon"] });
// @ts-expect-error no such option
mountTicker(document.body, { sparkline: false });
// @ts-expect-error sparklines is a boolean
mountTicker(document.body, { sparklines: "no" });
