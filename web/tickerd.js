// tickerd.js: the combined entry that existing embeds import
// (`import {mountTicker} from "http://HOST:8080/tickerd.js"`): the client and the
// bar. New code imports the client alone (client.js, or the package's main entry)
// or the bar's single bundled file (dist/ticker-bar.min.js).
export { connect, fetchHistory, formatQuote } from "./client.js";
export { mountTicker } from "./ticker-bar.js";
